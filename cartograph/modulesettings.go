package cartograph

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ModuleSettings configures a UI plugin (CI, on-call, dashboards...) on a
// service's page. credentialId is stored as given: credentials are not
// managed here.
type ModuleSettings struct {
	ID            string
	OrgID         string
	ServiceID     string
	Settings      ModuleSettingsBody
	CreatedBy     string
	LastChangedBy string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// ModuleSettingsBody is the stored part of a module setting, as the API
// names it.
type ModuleSettingsBody struct {
	CredentialID  string            `json:"credentialId"`
	ProviderName  string            `json:"providerName"`
	ProviderType  string            `json:"providerType"`
	Title         string            `json:"title"`
	UIPluginName  string            `json:"uiPluginName"`
	Configuration []ModuleAspect    `json:"configuration"`
	Layout        json.RawMessage   `json:"layout"`
	State         []ModuleStateItem `json:"state"`
	Status        string            `json:"status"`
}

// ModuleAspect is one configuration entry; Value is any JSON value.
type ModuleAspect struct {
	Name  string          `json:"name"`
	Value json.RawMessage `json:"value"`
}

// ModuleStateItem is one key/value of a plugin's state.
type ModuleStateItem struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// The enums of CreateModuleSettingsDto.
var (
	ModuleProviderNames = []string{"GitHub", "GitLab", "Azure DevOps", "Bitbucket", "CircleCI", "Datadog",
		"EmbeddedView", "Jenkins", "Jira", "NewRelic", "OpsGenie", "PagerDuty", "Scorecards", "SonarCloud", "Splunk"}
	ModuleProviderTypes = []string{"REPOS", "CICD", "OTHER", "ISSUE_TRACKING", "OMS", "CODE_INSPECTION"}
	UIPluginNames       = []string{"github_actions", "github_activity", "gitlab_pipelines", "gitlab_activity",
		"azure_devops_activity", "azure_devops_pipelines", "bitbucket_pipelines", "bitbucket_activity", "circle_ci",
		"datadog_embedded_dashboard", "datadog_embedded_graph", "datadog_monitor", "datadog_slo", "embedded_view",
		"jenkins", "jira_activity", "new_relic_chart", "opsgenie_oncall", "pagerduty_oncall", "scorecards",
		"sonarcloud_repo_profile", "aws_security_hub", "splunk_oncall"}
	ModuleStatuses = []string{"ACTIVE", "CREDENTIAL_DISABLED", "CREDENTIAL_BROKEN"}
)

// NewModuleSettings is a create request for module settings.
type NewModuleSettings struct {
	ServiceID string
	Body      ModuleSettingsBody
}

// ParseModuleSettings validates a CreateModuleSettingsDto, listing every problem.
func ParseModuleSettings(fields map[string]json.RawMessage) (*NewModuleSettings, error) {
	var p Problems
	str := func(name string, required bool, enum []string) string {
		raw, ok := fields[name]
		if !ok || string(raw) == "null" {
			if required {
				p.Add(name, "%s should not be empty", name)
			}
			return ""
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			p.Add(name, "%s must be a string", name)
			return ""
		}
		if enum != nil && !slices.Contains(enum, s) {
			p.Add(name, "%s must be one of the following values: %s", name, strings.Join(enum, ", "))
		}
		return s
	}
	out := &NewModuleSettings{ServiceID: str("serviceId", true, nil)}
	if out.ServiceID != "" && !IsUUID(out.ServiceID) {
		p.Add("serviceId", "serviceId must be a UUID")
	}
	b := &out.Body
	b.CredentialID = str("credentialId", false, nil)
	b.ProviderName = str("providerName", true, ModuleProviderNames)
	b.ProviderType = str("providerType", true, ModuleProviderTypes)
	b.Title = str("title", false, nil)
	b.UIPluginName = str("uiPluginName", false, UIPluginNames)
	b.Status = str("status", true, ModuleStatuses)
	if raw, ok := fields["configuration"]; !ok {
		p.Add("configuration", "configuration should not be empty")
	} else if err := json.Unmarshal(raw, &b.Configuration); err != nil || b.Configuration == nil {
		p.Add("configuration", "configuration must be an array of {name, value}")
	} else {
		for i, a := range b.Configuration {
			if a.Name == "" {
				p.Add("configuration", "configuration.%d.name should not be empty", i)
			}
			if len(a.Value) == 0 {
				p.Add("configuration", "configuration.%d.value should not be empty", i)
			}
		}
	}
	b.Layout = json.RawMessage(`{"x":0,"y":0,"w":0,"h":0}`)
	if raw, ok := fields["layout"]; ok && string(raw) != "null" {
		var l struct{ X, Y, W, H *float64 }
		if json.Unmarshal(raw, &l) != nil || l.X == nil || l.Y == nil || l.W == nil || l.H == nil {
			p.Add("layout", "layout must be an object with numbers x, y, w and h")
		}
		b.Layout = raw
	}
	b.State = []ModuleStateItem{}
	if raw, ok := fields["state"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &b.State); err != nil {
			p.Add("state", "state must be an array of {key, value} strings")
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// ErrServiceNotFound answers module settings for a missing service.
func ErrServiceNotFound(id string) error {
	return &Error{Code: NotFound, Field: "serviceId", Message: fmt.Sprintf("Service %s not found", id)}
}
