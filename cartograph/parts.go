package cartograph

// EntityParts says which parts of an entity a read fills in. A page that
// shows names needs none of the JSON columns, and scanning those was most of
// what a page of entities cost, so readers that know what they will show ask
// for just that. The zero value means every part: callers that do not say
// get whole entities. Parts left out keep their zero values.
type EntityParts uint16

// The parts of an entity. PartCore (id, org, type, name) is always read.
const (
	PartCore         EntityParts = 1 << iota
	PartDescription              // description
	PartTags                     // tags
	PartMetaTags                 // metaTags
	PartLinks                    // links
	PartPermissions              // permissions
	PartAccess                   // generalAccess
	PartAuthors                  // origin, createdBy, lastChangedBy
	PartTimes                    // createdAt, updatedAt
	PartProvider                 // provider
	PartProviderKeys             // providerType, providerResourceKey/Type/AccountId, location
	PartAttrs                    // the type-specific fields

	AllParts = PartAttrs<<1 - 1
)

// Has reports whether p includes every part of q.
func (p EntityParts) Has(q EntityParts) bool { return p == 0 || p&q == q }
