package main

import (
	"context"
	"errors"
)

// runOrg is written by the sfclient/sftest work (issue 3).
func runOrg(ctx context.Context, e *env, args []string) error {
	return errors.New("backfill org is not built yet")
}
