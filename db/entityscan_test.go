package db

import (
	"reflect"
	"testing"
)

func TestParseTextArray(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`{}`, []string{}},
		{`{a}`, []string{"a"}},
		{`{a,b,c}`, []string{"a", "b", "c"}},
		{`{"a b","c,d",e}`, []string{"a b", "c,d", "e"}},
		{`{"say \"hi\"","back\\slash",""}`, []string{`say "hi"`, `back\slash`, ""}},
		{`{"NULL",NULL}`, []string{"NULL", ""}},
		{`{"{x}",ünï}`, []string{"{x}", "ünï"}},
	} {
		got, err := parseTextArray([]byte(tc.in))
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("parseTextArray(%s) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{``, `a,b`, `{"open}`} {
		if _, err := parseTextArray([]byte(bad)); err == nil {
			t.Errorf("parseTextArray(%s) succeeded", bad)
		}
	}
	if got, err := parseTextArray(nil); got != nil || err != nil {
		t.Errorf("an unread column = %q, %v; want nil", got, err)
	}
}
