package cartograph

import (
	"encoding/json"
	"testing"
)

// FuzzValidate: whatever a client sends, Validate answers a change or an
// Invalid/Unprocessable error; it never panics.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{
		`{"name":"a"}`, `{"name":1}`, `{"metaTags":[{"name":"x","value":{},"type":"Nickname"}]}`,
		`{"parents":[{"id":"x"}],"details":[]}`, `{"languages":[null]}`, `{"links":[1,"a",{}]}`,
		`{"email":"@","packageManager":{},"provider":"GitHub","totalDependencies":"1"}`, `{"name":"` + "\xff" + `"}`,
	} {
		for i := range EntityTypes {
			f.Add(s, uint8(i), true)
		}
	}
	f.Fuzz(func(t *testing.T, body string, typ uint8, create bool) {
		var fields map[string]json.RawMessage
		if json.Unmarshal([]byte(body), &fields) != nil {
			return
		}
		in := EntityInput{Type: EntityTypes[int(typ)%len(EntityTypes)], Fields: fields}
		change, err := in.Validate(create)
		if err != nil {
			if c := ErrorCode(err); c != Invalid && c != Unprocessable {
				t.Fatalf("code %s for %s", c, body)
			}
			return
		}
		if create && (change.Name == nil || *change.Name == "") {
			t.Fatalf("a create without a name passed: %s", body)
		}
	})
}

func TestValidateListsEveryProblem(t *testing.T) {
	in := EntityInput{Type: Person, Fields: map[string]json.RawMessage{
		"name": json.RawMessage(`""`), "email": json.RawMessage(`"no"`), "tags": json.RawMessage(`[1]`)}}
	_, err := in.Validate(true)
	e := AsError(err)
	if e.Code != Invalid || len(e.Problems) != 3 {
		t.Fatalf("got %v, want three problems", err)
	}
}
