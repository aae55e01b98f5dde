package sfclient_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/sfclient"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

func ExampleQuoteString() {
	key := `O'Brien \ "Co"`
	fmt.Println("SELECT Id FROM Contact WHERE LastName = " + sfclient.QuoteString(key))
	// Output:
	// SELECT Id FROM Contact WHERE LastName = 'O\'Brien \\ \"Co\"'
}

func ExampleInBatches() {
	keys := []string{"a", "b", "c"}
	sfclient.InBatches("SELECT Id FROM X WHERE Ext__c IN ", "", keys, func(soql string) error {
		fmt.Println(soql)
		return nil
	})
	// Output:
	// SELECT Id FROM X WHERE Ext__c IN ('a','b','c')
}

func ExampleClient_UploadJobData() {
	ctx := context.Background()
	s := sftest.NewServer(&testing.T{}) // in a test, pass its *testing.T
	defer s.Close()
	c, err := sfclient.New(ctx, sfclient.Config{InstanceURL: s.URL,
		Credentials: sfclient.Credentials{AccessToken: s.AccessToken()}}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	job, err := c.CreateIngestJob(ctx, sfclient.JobSpec{Object: "nplms__Enrollment__c", Operation: "upsert",
		ExternalIDFieldName: "nplms__External_Id__c"})
	if err != nil {
		fmt.Println(err)
		return
	}
	data := "nplms__External_Id__c,nplms__Learner_Email__c,nplms__Course_Id__c,nplms__Enrollment_Date__c\n" +
		"example-1,learner1@example.com,c-101,2025-12-01T10:00:00Z\n" +
		"example-2,learner2@example.com,c-101,2025-12-02T10:00:00Z\n"
	if err := c.UploadJobData(ctx, job.ID, strings.NewReader(data)); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := c.CloseJob(ctx, job.ID); err != nil {
		fmt.Println(err)
		return
	}
	done, err := c.WaitJob(ctx, job.ID, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %d records loaded\n", done.State, done.NumberRecordsProcessed-done.NumberRecordsFailed)
	// Output:
	// JobComplete: 2 records loaded
}
