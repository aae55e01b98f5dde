package sfclient_test

import (
	"context"
	"fmt"
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

func ExampleClient_NewIngestWriter() {
	ctx := context.Background()
	s := sftest.NewServer(&testing.T{}) // in a test, pass its *testing.T
	defer s.Close()
	c, err := sfclient.New(ctx, sfclient.Config{InstanceURL: s.URL,
		Credentials: sfclient.Credentials{AccessToken: s.AccessToken()}}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	spec := sfclient.JobSpec{Object: "nplms__Enrollment__c", Operation: "upsert",
		ExternalIDFieldName: "nplms__External_Id__c", MaxBytes: 200} // tiny, to show the rollover
	w, err := c.NewIngestWriter(ctx, spec, []string{"nplms__External_Id__c", "nplms__Learner_Email__c", "nplms__Enrollment_Date__c"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := 1; i <= 5; i++ {
		if err := w.Write([]string{fmt.Sprintf("example-%d", i), fmt.Sprintf("learner%d@example.com", i), "2025-12-01T10:00:00Z"}); err != nil {
			fmt.Println(err)
			return
		}
	}
	ids, err := w.Close()
	if err != nil {
		fmt.Println(err)
		return
	}
	loaded := int64(0)
	for _, id := range ids {
		job, err := c.WaitJob(ctx, id)
		if err != nil {
			fmt.Println(err)
			return
		}
		loaded += job.NumberRecordsProcessed - job.NumberRecordsFailed
	}
	fmt.Printf("%d jobs, %d records loaded\n", len(ids), loaded)
	fmt.Println(c.CallCounts()[sfclient.CallBulkUpload], "uploads")
	// Output:
	// 3 jobs, 5 records loaded
	// 3 uploads
}
