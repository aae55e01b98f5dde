package main

import (
	"context"
	"errors"
)

func runClean(ctx context.Context, e *env, args []string) error {
	return errors.New("backfill clean is not built yet")
}
