package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"cartograph/cartograph"
)

// catalogClient calls the Configure8 surface as one org's write key.
type catalogClient struct {
	*configClient
}

func newCatalogClient(t *testing.T, base string) *catalogClient {
	return &catalogClient{newConfigClient(t, base)}
}

// create posts an entity that must be created and returns its JSON.
func (c *catalogClient) create(t *testing.T, typ, body string) map[string]any {
	t.Helper()
	return c.must(t, http.StatusCreated, "POST", "/public/v1/catalog/entities/"+typ, body).json(t)
}

// relate posts a relation from src to dst (entity ids) that must be created.
func (c *catalogClient) relate(t *testing.T, src, label, dst string) {
	t.Helper()
	c.must(t, http.StatusCreated, "POST", "/public/v1/catalog/relations",
		fmt.Sprintf(`{"sourceEntityId":%q,"targetEntityId":%q,"label":%q}`, src, dst, label))
}

// wantCatalogError checks a Configure8 error body and, for a 400, that some
// listed problem contains want.
func wantCatalogError(t *testing.T, res response, status int, want string) {
	t.Helper()
	var body struct {
		StatusCode int
		Message    any
		Error      string
	}
	if err := json.Unmarshal(res.body, &body); err != nil || res.status != status || body.StatusCode != status ||
		body.Error != http.StatusText(status) {
		t.Fatalf("got %d %s, want %d in the Configure8 error shape", res.status, res.body, status)
	}
	if status == http.StatusBadRequest {
		if _, ok := body.Message.([]any); !ok {
			t.Fatalf("a 400's message must be an array: %s", res.body)
		}
	}
	if want != "" && !strings.Contains(string(res.body), want) {
		t.Errorf("error %s should mention %q", res.body, want)
	}
}

// entityCases has a minimal valid create body per type, a patch, and fields
// the response must carry.
var entityCases = []struct {
	typ, create, patch string
	want               map[string]any
}{
	{"application", `{"name":"checkout-app"}`, `{"description":"changed"}`, nil},
	{"system", `{"name":"payments"}`, `{"description":"changed"}`, nil},
	{"environment", `{"name":"billing-prod","tags":["prod"]}`, `{"description":"changed"}`, map[string]any{"tags": []any{"prod"}}},
	{"team", `{"name":"payments-core"}`, `{"description":"changed"}`, nil},
	{"api", `{"name":"billing-api"}`, `{"description":"changed"}`, nil},
	{"service", `{"name":"billing","lifecycle":"production","languages":["Go"],"repositoryPath":"/"}`,
		`{"description":"changed","lifecycle":"deprecated"}`,
		map[string]any{"lifecycle": "production", "languages": []any{"Go"}, "repositoryPath": "/"}},
	{"resource", `{"name":"db-1","provider":"AWS","providerResourceKey":"arn:aws:rds:1","providerResourceType":"AWS:RDS:Instance","providerAccountId":"123","location":"eu-west-1","details":{"engine":"postgres"}}`,
		`{"description":"changed","location":"eu-central-1"}`,
		map[string]any{"provider": "AWS", "providerResourceKey": "arn:aws:rds:1", "providerAccountId": "123", "details": map[string]any{"engine": "postgres"}, "providerType": "INFRA"}},
	{"person", `{"name":"Ada Lovelace","email":"ada@example.com","givenName":"Ada"}`, `{"description":"changed","familyName":"Lovelace"}`,
		map[string]any{"email": "ada@example.com", "isActive": true, "provisioned": false, "givenName": "Ada"}},
	{"repository", `{"name":"billing-repo","url":"https://github.com/acme/billing","provider":"GitHub","providerResourceKey":"acme/billing","providerAccountId":"acme","location":"acme/billing"}`,
		`{"description":"changed","provider":"GitHub"}`,
		map[string]any{"url": "https://github.com/acme/billing", "provider": "GitHub", "providerType": "REPOS", "contributors": []any{}}},
	{"library", `{"name":"react","provider":"GitHub","packageManager":"NPM","requirements":"^18.0.0"}`,
		`{"description":"changed","packageManager":"NPM","requirements":"^18.3.1"}`,
		map[string]any{"packageName": "react", "packageManager": "NPM", "providerResourceKey": "NPM:react", "requirements": "^18.0.0"}},
	{"manifest", `{"name":"billing go.mod","repoPath":"go.mod","provider":"GitHub","providerResourceKey":"acme/billing/go.mod","providerAccountId":"acme","totalDependencies":12}`,
		`{"description":"changed","totalDependencies":13}`,
		map[string]any{"repoPath": "go.mod", "totalDependencies": float64(12), "provider": "GitHub"}},
	{"base", `{"name":"INC-1","providerResourceType":"incident","details":{"severity":"high"}}`, `{"description":"changed"}`,
		map[string]any{"providerResourceType": "incident", "details": map[string]any{"severity": "high"}}},
}

func TestEntityLifecycleEveryType(t *testing.T) {
	c := newCatalogClient(t, "entities")
	for _, tc := range entityCases {
		t.Run(tc.typ, func(t *testing.T) {
			e := c.create(t, tc.typ, tc.create)
			id, _ := e["id"].(string)
			if !cartograph.IsUUID(id) || e["type"] != tc.typ || e["orgId"] != c.org || e["origin"] != "MANUAL" {
				t.Fatalf("created = %v", e)
			}
			for _, k := range []string{"tags", "metaTags", "links", "parents", "generalAccess"} {
				if _, ok := e[k].([]any); !ok {
					t.Errorf("%s must be an array, got %v", k, e[k])
				}
			}
			for k, v := range tc.want {
				if fmt.Sprint(e[k]) != fmt.Sprint(v) {
					t.Errorf("%s = %v, want %v", k, e[k], v)
				}
			}
			got := c.must(t, http.StatusOK, "GET", "/public/v1/catalog/entities/"+id, "").json(t)
			if got["name"] != e["name"] || got["createDateTime"] != e["createDateTime"] {
				t.Errorf("GET = %v, want what was created", got)
			}
			patched := c.must(t, http.StatusOK, "PATCH", "/public/v1/catalog/entities/"+tc.typ+"/"+id, tc.patch).json(t)
			if patched["description"] != "changed" || patched["name"] != e["name"] {
				t.Errorf("PATCH = %v", patched)
			}
			res := c.must(t, http.StatusOK, "DELETE", "/public/v1/catalog/entities/"+id, "")
			if strings.TrimSpace(string(res.body)) != "{}" {
				t.Errorf("DELETE body = %s, want {}", res.body)
			}
			wantCatalogError(t, c.call(t, "GET", "/public/v1/catalog/entities/"+id, ""), 404, "Catalog entity not found")
		})
	}
}

func TestEntityErrors(t *testing.T) {
	c := newCatalogClient(t, "entity-errors")
	svc := c.create(t, "service", `{"name":"orders"}`)
	c.create(t, "resource", `{"name":"r","provider":"AWS","providerResourceKey":"k1","providerResourceType":"AWS:S3:Bucket","providerAccountId":"1"}`)
	const e = "/public/v1/catalog/entities/"
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"missing name", "POST", e + "service", `{}`, 400, "name should not be empty"},
		{"every problem at once", "POST", e + "person", `{"name":7,"email":"nope","tags":[1]}`, 400, "email must be an email"},
		{"wrong type", "POST", e + "service", `{"name":"x","languages":"Go"}`, 400, "languages must be an array"},
		{"bad enum", "POST", e + "library", `{"name":"x","provider":"GitHub","packageManager":"CARGO"}`, 400, "packageManager must be one of the following values"},
		{"bad meta tag type", "POST", e + "system", `{"name":"x","metaTags":[{"name":"a","value":"b","type":"Color"}]}`, 400, "metaTags.0.type must be one of"},
		{"malformed JSON", "POST", e + "system", `{"name":`, 400, "JSON object"},
		{"name too long", "POST", e + "system", `{"name":"` + strings.Repeat("n", 256) + `"}`, 400, "shorter than or equal to 255"},
		{"required on update", "PATCH", e + "library/" + svc["id"].(string), `{"description":"x"}`, 400, "packageManager should not be empty"},
		{"duplicate name, other case", "POST", e + "service", `{"name":"ORDERS"}`, 409, "already exists"},
		{"duplicate resource identity", "POST", e + "resource", `{"name":"r2","provider":"AWS","providerResourceKey":"k1","providerResourceType":"AWS:S3:Bucket","providerAccountId":"1"}`, 409, "already exists"},
		{"bad template", "POST", e + "service", `{"name":"t1","templateId":"3f1c1a2e-0b7a-4c55-9b0e-000000000003"}`, 409, "templateId"},
		{"unknown repository", "POST", e + "service", `{"name":"t2","repositoryId":"00000000-0000-4000-8000-000000000000"}`, 404, "not found"},
		{"nickname twice", "POST", e + "team", `{"name":"t","metaTags":[{"name":"nick","value":"a","type":"Nickname"},{"name":"nick","value":"b","type":"Nickname"}]}`, 422, "Nickname"},
		{"unknown id", "GET", e + "00000000-0000-4000-8000-000000000000", "", 404, "Catalog entity not found"},
		{"id not a UUID", "GET", e + "abc", "", 404, ""},
		{"patch as another type", "PATCH", e + "system/" + svc["id"].(string), `{"description":"x"}`, 404, ""},
		{"unknown type", "POST", e + "gadget", `{"name":"x"}`, 404, ""},
		{"delete unknown", "DELETE", e + "00000000-0000-4000-8000-000000000000", "", 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCatalogError(t, c.call(t, tc.method, tc.path, tc.body), tc.status, tc.want)
		})
	}
	// A failed create wrote nothing.
	res := c.must(t, http.StatusOK, "POST", "/public/v1/catalog/entities", `{"types":["service"]}`).json(t)
	if res["totalFound"] != float64(1) {
		t.Errorf("after refused creates, services = %v, want 1", res["totalFound"])
	}
	// Repeated nicknames of other types are kept, all of them.
	team := c.create(t, "team", `{"name":"t-ok","metaTags":[{"name":"a","value":"1","type":"Text"},{"name":"a","value":"2","type":"Text"}]}`)
	if tags := team["metaTags"].([]any); len(tags) != 2 {
		t.Errorf("meta tags = %v, want both", tags)
	}
}

func TestServiceRelationsOnCreate(t *testing.T) {
	c := newCatalogClient(t, "svc-rel")
	repo := c.create(t, "repository", `{"name":"r","url":"u","provider":"GitHub","providerResourceKey":"k","providerAccountId":"a","location":"l"}`)
	app := c.create(t, "application", `{"name":"shop"}`)
	svc := c.create(t, "service", fmt.Sprintf(`{"name":"cart","repositoryId":%q,"applications":[%q],"templateId":"3f1c1a2e-0b7a-4c55-9b0e-000000000001"}`,
		repo["id"], app["id"]))
	var labels []string
	err := testDB.Bun().NewRaw(`SELECT label FROM relations WHERE org_id = ? AND source_id = ? ORDER BY label`, c.org, svc["id"]).
		Scan(context.Background(), &labels)
	if err != nil || strings.Join(labels, ",") != "belongs_to,has_repository" {
		t.Errorf("relations of the new service = %v (%v)", labels, err)
	}
	// An application id that is a repository: the pair is not allowed.
	wantCatalogError(t, c.call(t, "POST", "/public/v1/catalog/entities/service",
		fmt.Sprintf(`{"name":"cart2","applications":[%q]}`, repo["id"])), 422, "")
	c.must(t, http.StatusOK, "GET", "/public/v1/catalog/entities/"+svc["id"].(string), "")
}

func TestDiscoveryEntitiesAcceptOnlyTags(t *testing.T) {
	c := newCatalogClient(t, "discovery")
	ctx := cartograph.WithActor(context.Background(), &cartograph.Actor{OrgID: c.org, KeyName: "agent", Scope: cartograph.ScopeWrite})
	e, err := testDB.Entities.Create(ctx, cartograph.EntityInput{Type: cartograph.Resource, Origin: cartograph.OriginDiscovery,
		Fields: map[string]json.RawMessage{"name": json.RawMessage(`"pod-1"`), "provider": json.RawMessage(`"K8s"`),
			"providerResourceKey": json.RawMessage(`"c:n:Pod:p1"`), "providerResourceType": json.RawMessage(`"K8s:Cluster:Pod"`)}})
	if err != nil {
		t.Fatal(err)
	}
	path := "/public/v1/catalog/entities/resource/" + e.ID
	wantCatalogError(t, c.call(t, "PATCH", path, `{"description":"mine now"}`), 422, "")
	wantCatalogError(t, c.call(t, "PATCH", path, `{"tags":["a"],"name":"renamed"}`), 422, "")
	got := c.must(t, http.StatusOK, "PATCH", path, `{"tags":["team-a"],"metaTags":[{"name":"owner","value":"a","type":"Text"}]}`).json(t)
	if fmt.Sprint(got["tags"]) != "[team-a]" || got["origin"] != "DISCOVERY" || got["name"] != "pod-1" {
		t.Errorf("after a tags-only patch: %v", got)
	}
	c.must(t, http.StatusOK, "PUT", "/public/v1/catalog/metadata/"+e.ID, `{"metaTags":[]}`)
}

func TestMetadata(t *testing.T) {
	c := newCatalogClient(t, "metadata")
	e := c.create(t, "service", `{"name":"m","metaTags":[{"name":"tier","value":"1","type":"Text"}]}`)
	path := "/public/v1/catalog/metadata/" + e["id"].(string)
	got := c.must(t, http.StatusOK, "GET", path, "")
	if !strings.Contains(string(got.body), `"metaTags":[{"name":"tier","value":"1","type":"Text"}]`) {
		t.Errorf("GET metadata = %s", got.body)
	}
	body := `{"metaTags":[{"name":"n","value":3,"type":"Text"},{"name":"cfg","value":{"replicas":3},"type":"JSON","createdBy":"SYSTEM"},{"name":"s","value":"x","type":"Link"}]}`
	put := c.must(t, http.StatusOK, "PUT", path, body).json(t)
	if put["id"] != e["id"] || put["type"] != "service" || put["orgId"] != c.org || len(put) != 4 {
		t.Errorf("PUT answer = %v, want {id, orgId, type, metaTags}", put)
	}
	got = c.must(t, http.StatusOK, "GET", "/public/v1/catalog/entities/"+e["id"].(string), "")
	for _, want := range []string{`"value":3`, `"value":{"replicas":3}`, `"createdBy":"SYSTEM"`} {
		if !strings.Contains(string(got.body), want) {
			t.Errorf("entity after PUT lacks %s: %s", want, got.body)
		}
	}
	wantCatalogError(t, c.call(t, "PUT", path, `{"metaTags":[{"name":"n","value":"a","type":"Nickname"},{"name":"n","value":"b","type":"Nickname"}]}`), 422, "")
	wantCatalogError(t, c.call(t, "PUT", path, `{"metaTags":[{"value":"a","type":"Text"}]}`), 400, "metaTags.0.name should not be empty")
	wantCatalogError(t, c.call(t, "GET", "/public/v1/catalog/metadata/00000000-0000-4000-8000-000000000000", ""), 404, "")
}

// TestConcurrentDuplicateCreates: the database, not the process, decides:
// ten simultaneous creates of one name give one 201 and nine 409s.
func TestConcurrentDuplicateCreates(t *testing.T) {
	c := newCatalogClient(t, "dup-race")
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			res := c.call(t, "POST", "/public/v1/catalog/entities/service", `{"name":"racer"}`)
			mu.Lock()
			statuses[res.status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[201] != 1 || statuses[409] != 9 {
		t.Errorf("statuses = %v, want one 201 and nine 409", statuses)
	}
}

func TestEntityOrgIsolation(t *testing.T) {
	owner := newCatalogClient(t, "iso-owner")
	e := owner.create(t, "service", `{"name":"secret-svc"}`)
	other := newCatalogClient(t, "iso-other")
	id := e["id"].(string)
	wantCatalogError(t, other.call(t, "GET", "/public/v1/catalog/entities/"+id, ""), 404, "")
	wantCatalogError(t, other.call(t, "PATCH", "/public/v1/catalog/entities/service/"+id, `{"description":"x"}`), 404, "")
	wantCatalogError(t, other.call(t, "DELETE", "/public/v1/catalog/entities/"+id, ""), 404, "")
	wantCatalogError(t, other.call(t, "GET", "/public/v1/catalog/metadata/"+id, ""), 404, "")
	res := other.must(t, http.StatusOK, "POST", "/public/v1/catalog/entities", `{}`).json(t)
	if res["totalFound"] != float64(0) {
		t.Errorf("another org counts %v entities, want 0", res["totalFound"])
	}
	// Another org's service cannot be a parent or a repository either.
	wantCatalogError(t, other.call(t, "POST", "/public/v1/catalog/entities/resource",
		fmt.Sprintf(`{"name":"x","provider":"AWS","providerResourceKey":"k","providerResourceType":"t","parents":[{"id":%q}]}`, id)), 404, "")
	// The same name is free in another org.
	other.create(t, "service", `{"name":"secret-svc"}`)
	reader := &catalogClient{&configClient{srv: owner.srv, org: owner.org, key: key(t, "reader", owner.org, cartograph.ScopeRead, cartograph.RoleUser)}}
	wantCatalogError(t, reader.call(t, "POST", "/public/v1/catalog/entities/service", `{"name":"x"}`), 403, "")
	reader.must(t, http.StatusOK, "POST", "/public/v1/catalog/entities", `{}`)
}

func TestModuleSettings(t *testing.T) {
	c := newCatalogClient(t, "modules")
	svc := c.create(t, "service", `{"name":"ms"}`)
	body := fmt.Sprintf(`{"serviceId":%q,"credentialId":"cred-1","providerName":"GitHub","providerType":"CICD","title":"CI",
		"uiPluginName":"github_actions","configuration":[{"name":"repo","value":"acme/ms"},{"name":"branches","value":["main"]},{"name":"n","value":3}],
		"layout":{"x":0,"y":1,"w":6,"h":4},"status":"ACTIVE"}`, svc["id"])
	m := c.must(t, http.StatusCreated, "POST", "/public/v1/module-settings", body)
	var got map[string]any
	json.Unmarshal(m.body, &got)
	if got["credentialId"] != "cred-1" || got["orgId"] != c.org || !strings.Contains(string(m.body), `"value":["main"]`) {
		t.Errorf("created = %s", m.body)
	}
	c.must(t, http.StatusOK, "GET", "/public/v1/module-settings/"+got["id"].(string), "")
	list := c.must(t, http.StatusOK, "GET", "/public/v1/module-settings?serviceId="+svc["id"].(string), "")
	if !strings.Contains(string(list.body), got["id"].(string)) {
		t.Errorf("list = %s", list.body)
	}
	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"unknown service", `{"serviceId":"00000000-0000-4000-8000-000000000000","providerName":"GitHub","providerType":"CICD","configuration":[],"status":"ACTIVE"}`, 404},
		{"bad enums", fmt.Sprintf(`{"serviceId":%q,"providerName":"Gitea","providerType":"CICD","uiPluginName":"x","configuration":[],"status":"ON"}`, svc["id"]), 400},
		{"missing configuration", fmt.Sprintf(`{"serviceId":%q,"providerName":"GitHub","providerType":"CICD","status":"ACTIVE"}`, svc["id"]), 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCatalogError(t, c.call(t, "POST", "/public/v1/module-settings", tc.body), tc.status, "")
		})
	}
	// Deleting the service deletes its module settings.
	c.must(t, http.StatusOK, "DELETE", "/public/v1/catalog/entities/"+svc["id"].(string), "")
	wantCatalogError(t, c.call(t, "GET", "/public/v1/module-settings/"+got["id"].(string), ""), 404, "")
}

func TestTemplates(t *testing.T) {
	c := newCatalogClient(t, "templates")
	for _, tc := range []struct {
		query string
		check func([]map[string]any) bool
	}{
		{"", func(ts []map[string]any) bool { return len(ts) > 10 }},
		{"?category=create", func(ts []map[string]any) bool { return len(ts) == 2 && ts[0]["category"] == "create" }},
		{"?name=ON-CALL", func(ts []map[string]any) bool { return len(ts) == 1 && ts[0]["name"] == "Service with on-call" }},
		{"?entityType=resource&type=core", func(ts []map[string]any) bool { return len(ts) == 1 }},
		{"?type=user", func(ts []map[string]any) bool { return len(ts) == 0 }},
	} {
		res := c.must(t, http.StatusOK, "GET", "/public/v1/templates"+tc.query, "")
		var ts []map[string]any
		if json.Unmarshal(res.body, &ts) != nil || !tc.check(ts) {
			t.Errorf("templates%s = %.300s", tc.query, res.body)
		}
		for _, tpl := range ts {
			if tpl["orgId"] != c.org || tpl["definition"] == nil {
				t.Errorf("template = %v", tpl)
			}
		}
	}
	wantCatalogError(t, c.call(t, "GET", "/public/v1/templates?category=delete", ""), 400, "category")
}

func TestEntitySearch(t *testing.T) {
	c := newCatalogClient(t, "search")
	for _, s := range []string{
		`{"name":"alpha","description":"The payments gateway","tags":["backend","grpc"]}`,
		`{"name":"beta","tags":["frontend"]}`,
		`{"name":"Gamma-api","tags":["backend"]}`,
		`{"name":"delta_x","description":"100% done"}`,
	} {
		c.create(t, "service", s)
	}
	c.create(t, "resource", `{"name":"bucket","provider":"AWS","providerResourceKey":"s3-1","providerResourceType":"AWS:S3:Bucket","providerAccountId":"111"}`)
	c.create(t, "resource", `{"name":"vm","provider":"GCP","providerResourceKey":"gce-1","providerResourceType":"GCP:GCE:Instance","providerAccountId":"p1"}`)
	c.create(t, "team", `{"name":"alpha-team"}`)

	names := func(res map[string]any) string {
		var out []string
		for _, it := range res["items"].([]any) {
			out = append(out, fmt.Sprint(it.(map[string]any)["name"]))
		}
		return strings.Join(out, ",")
	}
	for _, tc := range []struct {
		name, body string
		total      int
		names      string
	}{
		{"everything by name, byte order", `{}`, 7, "Gamma-api,alpha,alpha-team,beta,bucket,delta_x,vm"},
		{"types", `{"types":["service"]}`, 4, "Gamma-api,alpha,beta,delta_x"},
		{"page 2 of 2", `{"types":["service"],"pageSize":3,"pageNumber":1}`, 4, "delta_x"},
		{"sort DESC", `{"types":["resource"],"sort":{"property":"name","order":"DESC"}}`, 2, "vm,bucket"},
		{"simple filter", `{"propertyFilters":[{"filterType":"SIMPLE","name":"provider","value":"AWS"}]}`, 1, "bucket"},
		{"compound OR", `{"propertyFilters":[{"filterType":"COMPOUND","operand":"OR","propertyFilters":[{"filterType":"SIMPLE","name":"name","value":"vm"},{"name":"providerAccountId","value":"111"}]}]}`, 2, "bucket,vm"},
		{"top level ANDs", `{"propertyFilters":[{"filterType":"SIMPLE","name":"type","value":"resource"},{"filterType":"SIMPLE","name":"name","value":"vm"}]}`, 1, "vm"},
		{"nested compound", `{"propertyFilters":[{"filterType":"COMPOUND","operand":"AND","propertyFilters":[{"name":"type","value":"service"},{"operand":"OR","propertyFilters":[{"name":"name","value":"beta"},{"name":"name","value":"alpha"}]}]}]}`, 2, "alpha,beta"},
		{"search terms, any case", `{"searchTerms":"ALPHA"}`, 2, "alpha,alpha-team"},
		{"search terms hit description and tags", `{"searchTerms":"payments"}`, 1, "alpha"},
		{"search terms hit tags", `{"searchTerms":"grpc"}`, 1, "alpha"},
		{"name only", `{"searchTerms":"payments","searchOnlyByName":true}`, 0, ""},
		{"wildcards are literal", `{"searchTerms":"_x"}`, 1, "delta_x"},
		{"percent is literal", `{"searchTerms":"100%"}`, 1, "delta_x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := c.must(t, http.StatusOK, "POST", "/public/v1/catalog/entities", tc.body).json(t)
			if res["totalFound"] != float64(tc.total) || names(res) != tc.names {
				t.Errorf("total %v items %s, want %d %s", res["totalFound"], names(res), tc.total, tc.names)
			}
		})
	}
	res := c.must(t, http.StatusOK, "POST", "/public/v1/catalog/entities", `{"types":["service"],"pageSize":2,"pageNumber":1,"includeProperties":["name","tags"]}`).json(t)
	if res["pageNumber"] != float64(1) || res["pageSize"] != float64(2) {
		t.Errorf("page = %v/%v", res["pageNumber"], res["pageSize"])
	}
	for _, it := range res["items"].([]any) {
		m := it.(map[string]any)
		if len(m) != 4 || m["id"] == nil || m["type"] != "service" || m["tags"] == nil {
			t.Errorf("projected item = %v, want id, type, name, tags", m)
		}
	}
	res = c.must(t, http.StatusOK, "POST", "/public/v1/catalog/entities", `{"includeProperties":[]}`).json(t)
	if first := res["items"].([]any)[0].(map[string]any); len(first) != 2 {
		t.Errorf("includeProperties [] = %v, want id and type only", first)
	}
	get := c.must(t, http.StatusOK, "GET", "/public/v1/catalog/entities?pageSize=2", "").json(t)
	if get["totalFound"] != float64(7) || names(get) != "Gamma-api,alpha" {
		t.Errorf("GET = %v %s", get["totalFound"], names(get))
	}

	for _, tc := range []struct{ name, body, want string }{
		{"page size 0", `{"pageSize":0}`, "pageSize must not be less than 1"},
		{"page size over 1000", `{"pageSize":1001}`, "pageSize must not be greater than 1000"},
		{"negative page", `{"pageNumber":-1}`, "pageNumber must not be less than 0"},
		{"page size not a number", `{"pageSize":"ten"}`, "pageSize must be a number"},
		{"unknown type", `{"types":["gadget"]}`, "each value in types"},
		{"unknown filter field", `{"propertyFilters":[{"filterType":"SIMPLE","name":"color","value":"red"}]}`, "propertyFilters.0.name"},
		{"bad operand", `{"propertyFilters":[{"filterType":"COMPOUND","operand":"XOR","propertyFilters":[]}]}`, "operand"},
		{"unknown sort", `{"sort":{"property":"color","order":"ASC"}}`, "sort.property"},
		{"bad sort order", `{"sort":{"property":"name","order":"UP"}}`, "sort.order"},
		{"not an object", `[1]`, "JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCatalogError(t, c.call(t, "POST", "/public/v1/catalog/entities", tc.body), 400, tc.want)
		})
	}
}
