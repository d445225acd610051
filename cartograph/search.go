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

// Filter operators: branches (and, or, not), comparisons on a field, and
// relation quantifiers (Field names a relation; Children[0] holds for some,
// every or none of the related entities).
const (
	OpAnd        FilterOp = "and"
	OpOr         FilterOp = "or"
	OpNot        FilterOp = "not"
	OpEq         FilterOp = "eq"
	OpNe         FilterOp = "ne"
	OpIn         FilterOp = "in"
	OpNin        FilterOp = "nin"
	OpILike      FilterOp = "ilike"
	OpContains   FilterOp = "contains"
	OpStartsWith FilterOp = "startsWith"
	OpGt         FilterOp = "gt"
	OpGte        FilterOp = "gte"
	OpLt         FilterOp = "lt"
	OpLte        FilterOp = "lte"
	OpExists     FilterOp = "exists"
	OpSome       FilterOp = "some"
	OpEvery      FilterOp = "every"
	OpNone       FilterOp = "none"
)

// Comparisons are the leaf operators.
var Comparisons = []FilterOp{OpEq, OpNe, OpIn, OpNin, OpILike, OpContains, OpStartsWith, OpGt, OpGte, OpLt, OpLte, OpExists}

// Filter limits: relation nesting and the size of a filter tree.
const (
	MaxFilterDepth = 5
	MaxFilterNodes = 200
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
	// Parts are the parts of each entity to read; zero reads all.
	Parts EntityParts
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
