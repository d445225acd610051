package db_test

import (
	"context"
	"strings"
	"testing"

	"cartograph/cartograph"
	"cartograph/db"
	"cartograph/db/dbtest"
)

func TestImport(t *testing.T) {
	ctx := dbtest.As(context.Background(), uniqueOrg("import"), cartograph.ScopeWrite, cartograph.RoleUser)
	const (
		s1 = "10000000-0000-4000-8000-000000000001"
		s2 = "10000000-0000-4000-8000-000000000002"
		s3 = "10000000-0000-4000-8000-000000000003"
		p1 = "10000000-0000-4000-8000-000000000004"
		r1 = "10000000-0000-4000-8000-000000000005"
	)
	entities := strings.Join([]string{
		`{"id":"` + s1 + `","type":"service","name":"a","lifecycle":"production"}`,
		`{"id":"` + s2 + `","type":"service","name":"b"}`,
		`{"id":"` + s3 + `","type":"service","name":"A"}`, // same name as s1, any case: skipped
		`{"id":"` + p1 + `","type":"person","name":"p","email":"p@example.com"}`,
		`{"id":"` + r1 + `","type":"resource","name":"r","provider":"AWS","providerResourceKey":"arn:r1","providerResourceType":"AWS:S3:Bucket"}`,
	}, "\n")
	relations := strings.Join([]string{
		`{"sourceEntityId":"` + s1 + `","targetEntityId":"` + s2 + `","label":"depends_on"}`,
		`{"sourceEntityId":"` + s1 + `","targetEntityId":"` + s2 + `","label":"depends_on"}`, // duplicate
		`{"sourceEntityId":"` + s3 + `","targetEntityId":"` + s2 + `","label":"depends_on"}`, // end skipped
		`{"sourceEntityId":"` + s1 + `","targetEntityId":"` + p1 + `","label":"depends_on"}`, // pair not allowed
	}, "\n")
	costs := strings.Join([]string{
		`{"catalogResourceId":"` + s1 + `","date":"2026-01-01","operation":"TOTAL","cost":1.5}`, // not a resource: skipped
		`{"catalogResourceId":"` + r1 + `","date":"2026-01-01","operation":"TOTAL","cost":1}`,
		`{"catalogResourceId":"` + r1 + `","date":"2026-01-02","operation":"TOTAL","cost":2}`,
		`{"catalogResourceId":"` + r1 + `","date":"2026-01-01","operation":"TOTAL","cost":3}`, // repeats line 2: the last wins
	}, "\n")
	counts, err := testDB.Import(ctx, db.ImportSource{Entities: strings.NewReader(entities), Relations: strings.NewReader(relations),
		Costs: strings.NewReader(costs)})
	if err != nil {
		t.Fatal(err)
	}
	if counts.Entities != 4 || counts.SkippedEntities != 1 || counts.Relations != 1 || counts.SkippedRelations != 3 ||
		counts.Costs != 2 || counts.SkippedCosts != 1 {
		t.Errorf("counts = %+v", *counts)
	}
	got, err := testDB.Costs.Rollups(ctx, db.CostRequest{Type: cartograph.Resource, From: "2026-01-01", To: "2026-01-02"}, []string{r1})
	if err != nil || got[r1].Total != "5.0000" {
		t.Errorf("imported costs total %+v, %v; want 5.0000 (3 from the later of two lines for a day, 2)", got[r1], err)
	}
	e, err := testDB.Entities.Get(ctx, s1)
	if err != nil || e.Name != "a" {
		t.Fatalf("imported entity keeps its id: %v %v", e, err)
	}
	if lc, _ := cartograph.Attr[string](e, "lifecycle"); lc != "production" {
		t.Errorf("lifecycle = %q", lc)
	}

	// A line that fails validation aborts the whole import.
	bad := `{"id":"20000000-0000-4000-8000-000000000001","type":"service","name":"ok"}` + "\n" +
		`{"id":"20000000-0000-4000-8000-000000000002","type":"service","name":""}`
	_, err = testDB.Import(ctx, db.ImportSource{Entities: strings.NewReader(bad), Relations: strings.NewReader("")})
	if cartograph.ErrorCode(err) != cartograph.Invalid || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("bad line: %v", err)
	}
	if _, err := testDB.Entities.Get(ctx, "20000000-0000-4000-8000-000000000001"); cartograph.ErrorCode(err) != cartograph.NotFound {
		t.Errorf("a failed import left rows behind: %v", err)
	}
}
