package db_test

import (
	"context"
	"fmt"
	"testing"

	"cartograph/cartograph"
	"cartograph/db/dbtest"
)

// seedConfig makes a domain with one config in a fresh org and returns a
// write context for it.
func seedConfig(b *testing.B) context.Context {
	b.Helper()
	ctx := dbtest.As(context.Background(), uniqueOrg("bench"), cartograph.ScopeWrite, cartograph.RoleUser)
	if _, err := testDB.Configs.CreateDomain(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	if _, err := testDB.Configs.CreateConfig(ctx, "bench", "value"); err != nil {
		b.Fatal(err)
	}
	return ctx
}

// BenchmarkCreateVersion measures one version create (domain and config
// resolved, number assigned and row inserted in one statement), run in
// parallel on one config, the contended case.
func BenchmarkCreateVersion(b *testing.B) {
	ctx := seedConfig(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := testDB.Configs.CreateVersion(ctx, "bench", "value", cartograph.ConfigValue(`42.0`)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkReadVersions measures reading the newest page of 10 versions and
// the latest value of a config with 1,000 versions.
func BenchmarkReadVersions(b *testing.B) {
	ctx := seedConfig(b)
	for i := range 1000 {
		if _, err := testDB.Configs.CreateVersion(ctx, "bench", "value", cartograph.ConfigValue(fmt.Sprint(i))); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("page", func(b *testing.B) {
		for b.Loop() {
			vs, err := testDB.Configs.ListVersions(ctx, "bench", "value", cartograph.Page{Limit: 10})
			if err != nil || len(vs) != 10 || vs[0].Number != 1000 {
				b.Fatalf("%v %d", err, len(vs))
			}
		}
	})
	b.Run("latest", func(b *testing.B) {
		for b.Loop() {
			v, err := testDB.Configs.LatestVersion(ctx, "bench", "value")
			if err != nil || v.Number != 1000 {
				b.Fatal(err)
			}
		}
	})
}
