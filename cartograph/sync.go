package cartograph

import "sort"

// ServiceSync lists services a sync adds and how request names map to
// existing services (request name -> catalog service name).
type ServiceSync struct {
	Added    []string          `json:"added"`
	Mappings map[string]string `json:"mappings"`
}

// DependencySync lists depends_on relations a sync adds or removes, keyed by
// the request's service name.
type DependencySync struct {
	Added   map[string][]string `json:"added"`
	Removed map[string][]string `json:"removed"`
}

// SyncResult is a sync's diff, or what an apply did.
type SyncResult struct {
	Services     ServiceSync    `json:"services"`
	Dependencies DependencySync `json:"dependencies"`
	Errors       []string       `json:"errors"`
}

// SyncRequest asks for the diff between the catalog and observed calls:
// Services maps each observed service name to the names it calls.
// MappingTag names the meta tag whose value maps an observed name to an
// existing service with another name.
type SyncRequest struct {
	Services   map[string][]string
	MappingTag string
}

// SyncApply applies a diff (as returned by a sync diff, possibly edited).
type SyncApply struct {
	Services     ServiceSync
	Dependencies DependencySync
	MappingTag   string
}

// NewSyncResult returns an empty result with every collection present.
func NewSyncResult() *SyncResult {
	return &SyncResult{
		Services:     ServiceSync{Added: []string{}, Mappings: map[string]string{}},
		Dependencies: DependencySync{Added: map[string][]string{}, Removed: map[string][]string{}},
		Errors:       []string{},
	}
}

// SortedKeys returns m's keys in order, for deterministic processing.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
