package cartograph

import (
	"testing"
	"time"
)

// TestParseDate checks that ParseDate's fast path for well-formed dates
// agrees with time.Parse, which judges everything else.
func TestParseDate(t *testing.T) {
	for _, s := range []string{
		"2026-01-02", "2024-02-29", "2000-01-01", "1999-12-31", "0000-01-01", "9999-12-31",
		"2026-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00", "2026-01-32",
		"2026-1-02", "2026/01/02", "2026-01-0a", "-026-01-02", "+026-01-02", " 2026-01-02", "2026-01-02 ",
		"20260102", "", "2026-01-02T00:00:00Z",
	} {
		want, wantErr := time.Parse(time.DateOnly, s)
		got, err := ParseDate(s)
		if (err != nil) != (wantErr != nil) || !got.Equal(want) || got.Location() != want.Location() {
			t.Errorf("ParseDate(%q) = %v, %v; time.Parse gives %v, %v", s, got, err, want, wantErr)
		}
	}
}

// TestParseCostRow checks what a cost row's fields become and which rows
// are refused, with the cost as a number or a numeric string.
func TestParseCostRow(t *testing.T) {
	const id = `"catalogResourceId":"r","date":"2026-01-02","operation":"TOTAL"`
	for _, tc := range []struct {
		row, cost, err string
	}{
		{`{` + id + `,"cost":0.0765}`, "0.0765", ""},
		{`{` + id + `,"cost":"12.5"}`, "12.5000", ""},
		{`{` + id + `,"cost":-3}`, "-3.0000", ""},
		{`{` + id + `,"cost":0.00005}`, "0.0001", ""},
		{`{` + id + `,"cost":" 7 "}`, "7.0000", ""},
		{`{` + id + `,"cost":9999999999.9999}`, "9999999999.9999", ""},
		{`{` + id + `,"cost":1e10}`, "", "cost must be less than 10,000,000,000"},
		{`{` + id + `,"cost":"x"}`, "", "cost must be a number"},
		{`{` + id + `,"cost":true}`, "", "cost must be a number"},
		{`{` + id + `,"cost":null}`, "", "cost must be a number"},
		{`{` + id + `}`, "", "cost must be a number"},
		{`{"date":"2026-01-02","operation":"TOTAL","cost":1}`, "", "catalogResourceId should not be empty"},
		{`{"catalogResourceId":"r","operation":"TOTAL","cost":1}`, "", "date should not be empty"},
		{`{"catalogResourceId":"r","date":"2026-02-30","operation":"TOTAL","cost":1}`, "", "date must be a valid YYYY-MM-DD date"},
		{`{"catalogResourceId":"r","date":"2026-01-02","operation":" ","cost":1}`, "", "operation should not be empty"},
		{`[1]`, "", "each row must be an object with catalogResourceId, date, cost and operation"},
	} {
		c, err := ParseCostRow([]byte(tc.row))
		switch {
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("ParseCostRow(%s) error = %v; want %q", tc.row, err, tc.err)
		case tc.err == "" && (err != nil || c.Cost != tc.cost || c.ResourceID != "r" || c.Date != "2026-01-02" || c.Operation != "TOTAL"):
			t.Errorf("ParseCostRow(%s) = %+v, %v; want cost %s", tc.row, c, err, tc.cost)
		}
	}
}
