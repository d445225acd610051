package cartograph

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"
)

// Cost is one resource's cost for a day and an operation; TotalOperation is
// the day's total, the only operation rollups sum.
type Cost struct {
	ResourceID string
	Date       string // YYYY-MM-DD
	Operation  string
	Cost       string // decimal with at most 4 places, kept exact
	ARN        string
}

// TotalOperation names a resource's daily total.
const TotalOperation = "TOTAL"

// Batch limits (CONTRACT.md §4).
const (
	MaxCostBatch     = 1000
	MaxResourceBatch = 50
)

// BatchFailure is one item of a batch that was refused.
type BatchFailure struct {
	Index  int    `json:"index"`
	ID     string `json:"catalogResourceId"`
	Status int    `json:"status"`
	Error  string `json:"error"`
}

// CostBatchResult is what a cost batch did.
type CostBatchResult struct {
	Success  int            `json:"success"`
	Failures int            `json:"failures"`
	Failed   []BatchFailure `json:"failed"`
}

// ParseDate checks a YYYY-MM-DD date.
func ParseDate(s string) (time.Time, error) {
	if t, ok := parseDateDigits(s); ok {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return t, fmt.Errorf("date must be a valid YYYY-MM-DD date")
	}
	return t, nil
}

// parseDateDigits is ParseDate for a well-formed date, without time.Parse's
// general layout machinery: the import parses millions of them. It
// declines anything else, which time.Parse then judges.
func parseDateDigits(s string) (time.Time, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	n := 0
	for i := range 10 {
		if i == 4 || i == 7 {
			continue
		}
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, false
		}
		n = n*10 + int(s[i]-'0')
	}
	y, m, d := n/10000, time.Month(n/100%100), n%100
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if m < time.January || m > time.December || d < 1 || t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

// ParseCostRow validates one cost batch row; the error says what is wrong.
func ParseCostRow(raw json.RawMessage) (Cost, error) {
	var r struct {
		CatalogResourceID *string         `json:"catalogResourceId"`
		Date              *string         `json:"date"`
		Cost              json.RawMessage `json:"cost"`
		Operation         *string         `json:"operation"`
		ARN               *string         `json:"arn"`
	}
	// goccy decodes the same fields as encoding/json, without reflection
	// per call: the import parses millions of rows here (6.2 million at
	// the benchmark's scale 10), and this was its busiest loop.
	if err := gojson.Unmarshal(raw, &r); err != nil {
		return Cost{}, fmt.Errorf("each row must be an object with catalogResourceId, date, cost and operation")
	}
	var c Cost
	switch {
	case r.CatalogResourceID == nil || *r.CatalogResourceID == "":
		return c, fmt.Errorf("catalogResourceId should not be empty")
	case r.Date == nil:
		return c, fmt.Errorf("date should not be empty")
	case r.Operation == nil || strings.TrimSpace(*r.Operation) == "":
		return c, fmt.Errorf("operation should not be empty")
	}
	if _, err := ParseDate(*r.Date); err != nil {
		return c, err
	}
	n, err := decimal4(r.Cost)
	if err != nil {
		return c, err
	}
	c = Cost{ResourceID: *r.CatalogResourceID, Date: *r.Date, Operation: *r.Operation, Cost: n}
	if r.ARN != nil {
		c.ARN = *r.ARN
	}
	return c, nil
}

// decimal4 reads a JSON number (or numeric string) as a decimal with at most
// 4 places, rounding half away from zero beyond that, and within numeric(14,4).
func decimal4(raw json.RawMessage) (string, error) {
	s := string(raw)
	if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) != nil {
		s = string(raw)
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f != f {
		return "", fmt.Errorf("cost must be a number")
	}
	if f >= 1e10 || f <= -1e10 {
		return "", fmt.Errorf("cost must be less than 10,000,000,000")
	}
	return strconv.FormatFloat(f, 'f', 4, 64), nil
}

// CostKey names costs to delete: every operation of the day when Operation
// is empty.
type CostKey struct {
	ResourceID string
	Date       string
	Operation  string
}

// CostRollup is what an entity cost over a date range: the total of its
// resources' TOTAL rows, the part each child contributed, and the series by
// day (every day of the range, "0.0000" when nothing was spent).
type CostRollup struct {
	Total string
	Parts []CostPart
	Daily []DailyCost
}

// CostPart is one child's share of a rollup.
type CostPart struct {
	EntityID string
	Total    string
}

// DailyCost is a rollup's total for one day.
type DailyCost struct {
	Date  string
	Total string
}

// NewCostRollup returns a zero rollup with a zero day for each of days
// (CostDays).
func NewCostRollup(days []string) *CostRollup {
	c := &CostRollup{Total: "0.0000", Parts: []CostPart{}, Daily: make([]DailyCost, len(days))}
	for i, d := range days {
		c.Daily[i] = DailyCost{Date: d, Total: "0.0000"}
	}
	return c
}

// CostDays lists the dates of [from, to], YYYY-MM-DD, in order: the days
// of a rollup's series. Invalid dates give none.
func CostDays(from, to string) []string {
	f, err1 := ParseDate(from)
	t, err2 := ParseDate(to)
	if err1 != nil || err2 != nil {
		return nil
	}
	var days []string
	for d := f; !d.After(t); d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format(time.DateOnly))
	}
	return days
}

// ParseCostRows validates cost batch rows: the valid ones with their indexes
// in the batch, and a 400 failure for each invalid one.
func ParseCostRows(items []json.RawMessage) (rows []Cost, index []int, failed []BatchFailure) {
	failed = []BatchFailure{}
	for i, raw := range items {
		c, err := ParseCostRow(raw)
		if err != nil {
			var id struct {
				CatalogResourceID string `json:"catalogResourceId"`
			}
			_ = json.Unmarshal(raw, &id)
			failed = append(failed, BatchFailure{Index: i, ID: id.CatalogResourceID, Status: 400, Error: err.Error()})
			continue
		}
		rows, index = append(rows, c), append(index, i)
	}
	return rows, index, failed
}

// ParseCostKeys validates cost delete keys, listing every problem.
func ParseCostKeys(items []json.RawMessage) ([]CostKey, error) {
	var p Problems
	keys := make([]CostKey, 0, len(items))
	for i, raw := range items {
		var k struct {
			CatalogResourceID string `json:"catalogResourceId"`
			Date              string `json:"date"`
			Operation         string `json:"operation"`
		}
		if json.Unmarshal(raw, &k) != nil || k.CatalogResourceID == "" {
			p.Add(fmt.Sprint(i), "%d.catalogResourceId should not be empty", i)
			continue
		}
		if _, err := ParseDate(k.Date); err != nil {
			p.Add(fmt.Sprint(i), "%d.%s", i, err)
			continue
		}
		keys = append(keys, CostKey{ResourceID: k.CatalogResourceID, Date: k.Date, Operation: k.Operation})
	}
	return keys, p.Err()
}

// CheckBatchSize refuses a batch of more than max items (413).
func CheckBatchSize(n, max int) error {
	if n > max {
		return Errorf(TooLarge, "A batch takes at most %d items; this one has %d", max, n)
	}
	return nil
}
