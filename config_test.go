package main

import (
	"strings"
	"testing"
)

// TestGCDefaults checks that the server's collector defaults apply only
// where the environment does not set GOGC or GOMEMLIMIT itself.
func TestGCDefaults(t *testing.T) {
	tests := []struct {
		name        string
		env         map[string]string
		wantPercent int
		wantLimit   int64
	}{
		{"neither set", nil, 400, 128 << 20},
		{"GOGC set", map[string]string{"GOGC": "100"}, 0, 128 << 20},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, 400, 0},
		{"both set", map[string]string{"GOGC": "off", "GOMEMLIMIT": "1GiB"}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, l := gcDefaults(func(k string) string { return tt.env[k] })
			if p != tt.wantPercent || l != tt.wantLimit {
				t.Errorf("gcDefaults = %d, %d; want %d, %d", p, l, tt.wantPercent, tt.wantLimit)
			}
		})
	}
}

// TestFastReadsSetting: GRAPHQL_FAST_READS takes on (the default) or off,
// and anything else stops the server with the variable named.
func TestFastReadsSetting(t *testing.T) {
	for _, tc := range []struct {
		value      string
		gqlgenOnly bool
		fails      bool
	}{
		{"", false, false},
		{"on", false, false},
		{"off", true, false},
		{"no", false, true},
	} {
		t.Run(tc.value, func(t *testing.T) {
			t.Setenv("GRAPHQL_FAST_READS", tc.value)
			c, err := loadConfig()
			if tc.fails {
				if err == nil || !strings.Contains(err.Error(), "GRAPHQL_FAST_READS") {
					t.Fatalf("GRAPHQL_FAST_READS=%q: err = %v, want one naming the variable", tc.value, err)
				}
				return
			}
			if err != nil || c.GqlgenOnly != tc.gqlgenOnly {
				t.Fatalf("GRAPHQL_FAST_READS=%q: GqlgenOnly = %v, %v; want %v", tc.value, c != nil && c.GqlgenOnly, err, tc.gqlgenOnly)
			}
		})
	}
}
