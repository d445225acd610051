package cartograph

import (
	"strings"
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

// TestCostDays checks a rollup's series days: every date of the range in
// order, across month and leap-day ends, and none for a date that is not.
func TestCostDays(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		want     string
	}{
		{"2026-01-30", "2026-02-02", "2026-01-30 2026-01-31 2026-02-01 2026-02-02"},
		{"2024-02-28", "2024-03-01", "2024-02-28 2024-02-29 2024-03-01"},
		{"2026-12-31", "2027-01-01", "2026-12-31 2027-01-01"},
		{"2026-05-05", "2026-05-05", "2026-05-05"},
		{"2026-05-06", "2026-05-05", ""},
		{"2026-02-30", "2026-03-01", ""},
		{"2026-01-01", "nope", ""},
	} {
		if got := strings.Join(CostDays(tc.from, tc.to), " "); got != tc.want {
			t.Errorf("CostDays(%s, %s) = %q, want %q", tc.from, tc.to, got, tc.want)
		}
	}
	c := NewCostRollup(CostDays("2026-01-01", "2026-01-02"))
	if c.Total != "0.0000" || len(c.Parts) != 0 || c.Parts == nil || len(c.Daily) != 2 || c.Daily[1] != (DailyCost{"2026-01-02", "0.0000"}) {
		t.Errorf("NewCostRollup = %+v, want zero total, no parts and two zero days", c)
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
