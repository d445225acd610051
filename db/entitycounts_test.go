package db_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"cartograph/cartograph"
	"cartograph/db"
	"cartograph/db/dbtest"
)

// TestEntityCounts checks unfiltered totals, which read the per-type counts
// the entity triggers keep (migration 11), against a count of the rows
// after every kind of write that adds or removes entities.
func TestEntityCounts(t *testing.T) {
	org := uniqueOrg("counts")
	ctx := dbtest.As(context.Background(), org, cartograph.ScopeWrite, cartograph.RoleAdmin)
	fields := func(name, extra string) map[string]json.RawMessage {
		f := map[string]json.RawMessage{}
		if extra != "" {
			if err := json.Unmarshal([]byte(extra), &f); err != nil {
				t.Fatal(err)
			}
		}
		f["name"] = json.RawMessage(fmt.Sprintf("%q", name))
		return f
	}
	create := func(ctx context.Context, typ cartograph.EntityType, name string) (string, error) {
		extra := ""
		if typ == cartograph.Resource {
			extra = `{"provider":"AWS","providerResourceKey":"arn:` + name + `","providerResourceType":"AWS:S3:Bucket"}`
		}
		e, err := testDB.Entities.Create(ctx, cartograph.EntityInput{Type: typ, Fields: fields(name, extra)})
		if err != nil {
			return "", err
		}
		return e.ID, nil
	}
	mustCreate := func(typ cartograph.EntityType, name string) string {
		t.Helper()
		id, err := create(ctx, typ, name)
		if err != nil {
			t.Fatalf("create %s %s: %v", typ, name, err)
		}
		return id
	}
	types := []cartograph.EntityType{cartograph.Service, cartograph.Resource, cartograph.Environment}
	check := func(t *testing.T, ctx context.Context, org string) {
		t.Helper()
		want := map[cartograph.EntityType]int{}
		var rows []struct {
			Type string
			N    int
		}
		if err := testDB.Bun().NewRaw("SELECT type, count(*) AS n FROM entities WHERE org_id = ? GROUP BY type", org).Scan(ctx, &rows); err != nil {
			t.Fatal(err)
		}
		all := 0
		for _, r := range rows {
			want[cartograph.EntityType(r.Type)] = r.N
			all += r.N
		}
		for _, q := range []struct {
			types []cartograph.EntityType
			want  int
		}{
			{types[:1], want[types[0]]},
			{types[1:2], want[types[1]]},
			{types[2:], want[types[2]]},
			{types[:2], want[types[0]] + want[types[1]]},
			{nil, all},
		} {
			got, err := testDB.Entities.Count(ctx, cartograph.EntityQuery{Types: q.types})
			if err != nil {
				t.Fatal(err)
			}
			if got != q.want {
				t.Errorf("count of %v = %d, want %d", q.types, got, q.want)
			}
			// A page's total, which the page's own statement reads, and
			// pages with no row to carry it, which count apart.
			for _, page := range []cartograph.Page{{Limit: 1}, {Limit: 2, Offset: 1}, {Limit: 1, Offset: 1000}, {Limit: 0}} {
				_, got, err := testDB.Entities.Search(ctx, cartograph.EntityQuery{Types: q.types, Page: page, Count: true})
				if err != nil {
					t.Fatal(err)
				}
				if got != q.want {
					t.Errorf("total of a page %+v of %v = %d, want %d", page, q.types, got, q.want)
				}
			}
		}
	}

	steps := []struct {
		name  string
		write func(t *testing.T)
	}{
		{"created one by one", func(t *testing.T) {
			mustCreate(cartograph.Service, "a")
			mustCreate(cartograph.Service, "b")
			mustCreate(cartograph.Environment, "prod")
			mustCreate(cartograph.Resource, "r1")
		}},
		{"a create that fails", func(t *testing.T) {
			if _, err := create(ctx, cartograph.Service, "A"); err == nil {
				t.Fatal("a second service named a (any case) was created")
			}
		}},
		{"a batch with a new, an existing and an invalid item", func(t *testing.T) {
			items := []cartograph.EntityInput{
				{Fields: fields("r2", `{"provider":"AWS","providerResourceKey":"arn:r2","providerResourceType":"AWS:S3:Bucket"}`)},
				{Fields: fields("r1 renamed", `{"provider":"AWS","providerResourceKey":"arn:r1","providerResourceType":"AWS:S3:Bucket"}`)},
				{Fields: fields("r3", `{"provider":"AWS"}`)},
			}
			res, err := testDB.Entities.UpsertBatch(ctx, cartograph.Resource, items)
			if err != nil || len(res.Items) != 2 || len(res.Failed) != 1 {
				t.Fatalf("batch: %+v, %v", res, err)
			}
		}},
		{"updated", func(t *testing.T) {
			id := mustCreate(cartograph.Service, "c")
			if _, err := testDB.Entities.Update(ctx, id, cartograph.EntityInput{Type: cartograph.Service, Fields: fields("c2", "")}); err != nil {
				t.Fatal(err)
			}
		}},
		{"deleted one, then a batch", func(t *testing.T) {
			ids := []string{mustCreate(cartograph.Service, "d"), mustCreate(cartograph.Environment, "dev"), mustCreate(cartograph.Resource, "r4")}
			if err := testDB.Entities.Delete(ctx, ids[0]); err != nil {
				t.Fatal(err)
			}
			if n, err := testDB.Entities.DeleteBatch(ctx, ids); err != nil || n != 2 {
				t.Fatalf("deleted %d, %v; want the 2 left", n, err)
			}
		}},
		{"concurrent writers", func(t *testing.T) {
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			for w := range 8 {
				wg.Go(func() {
					for i := range 6 {
						typ := types[(w+i)%len(types)]
						id, err := create(ctx, typ, fmt.Sprintf("w%d-%d", w, i))
						if err == nil && i%3 == 2 {
							err = testDB.Entities.Delete(ctx, id)
						}
						if err != nil {
							errs <- err
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			s.write(t)
			check(t, ctx, org)
		})
	}

	t.Run("imported", func(t *testing.T) {
		org := uniqueOrg("counts-import")
		ctx := dbtest.As(context.Background(), org, cartograph.ScopeWrite, cartograph.RoleAdmin)
		lines := []string{
			`{"id":"20000000-0000-4000-8000-000000000001","type":"service","name":"s1"}`,
			`{"id":"20000000-0000-4000-8000-000000000002","type":"service","name":"S1"}`, // name taken: skipped
			`{"id":"20000000-0000-4000-8000-000000000003","type":"environment","name":"e1"}`,
		}
		if _, err := testDB.Import(ctx, db.ImportSource{Entities: strings.NewReader(strings.Join(lines, "\n")), Relations: strings.NewReader("")}); err != nil {
			t.Fatal(err)
		}
		if _, err := create(ctx, cartograph.Service, "s2"); err != nil {
			t.Fatal(err)
		}
		check(t, ctx, org)
	})

	t.Run("an entity keeps its type", func(t *testing.T) {
		id := mustCreate(cartograph.Service, "typed")
		_, err := testDB.Bun().ExecContext(ctx, "UPDATE entities SET type = 'library' WHERE org_id = ? AND id = ?", org, id)
		if err == nil || !strings.Contains(err.Error(), "do not change") {
			t.Errorf("changing an entity's type: %v, want the guard's error", err)
		}
		check(t, ctx, org)
	})
}
