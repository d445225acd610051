package cartograph

// Filter is a condition on entities: a leaf compares one field, a branch
// combines its children with And or Or. Both the Configure8 propertyFilters
// and, later, the query builder compile to it; db turns it into SQL with
// every value as a parameter.
type Filter struct {
	Op       FilterOp
	Field    string // leaf: an entity field by its API name
	Value    any    // leaf: the value compared with
	Children []Filter
}

// FilterOp is a filter's operator.
type FilterOp string

// Filter operators.
const (
	OpAnd FilterOp = "and"
	OpOr  FilterOp = "or"
	OpEq  FilterOp = "eq"
)

// EntityQuery asks for a page of entities.
type EntityQuery struct {
	Types       []EntityType
	Filters     []Filter // all must hold
	SearchTerms string
	NameOnly    bool // search terms match the name only
	Sort        EntitySort
	Page        Page
	// Count asks for the number of matches before paging.
	Count bool
}

// EntitySort orders entities by a field, then by id.
type EntitySort struct {
	Property   string // API name; "" means name
	Descending bool
}

// SortableProperties are the entity fields a search may sort by.
var SortableProperties = []string{"name", "type", "description", "id", "createDateTime", "lastChangedDateTime",
	"provider", "providerResourceKey", "providerResourceType", "providerAccountId", "location"}

// FilterableProperties are the fields Configure8 property filters accept.
var FilterableProperties = []string{"id", "name", "description", "type", "provider", "providerResourceKey",
	"providerResourceType", "providerAccountId"}
