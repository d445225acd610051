package graph

import (
	"github.com/vektah/gqlparser/v2/ast"

	"cartograph/cartograph"
)

// fieldParts maps each entity field GraphQL can select to the parts of the
// entity it reads. A field not listed reads the whole entity, so a new field
// is correct before it is listed here, and only then cheap.
var fieldParts = func() map[string]cartograph.EntityParts {
	m := map[string]cartograph.EntityParts{
		"__typename": cartograph.PartCore, "id": cartograph.PartCore, "orgId": cartograph.PartCore,
		"type": cartograph.PartCore, "name": cartograph.PartCore, "packageName": cartograph.PartCore,
		// cost and asOf read the id and type and load the rest themselves.
		"cost": cartograph.PartCore, "asOf": cartograph.PartCore,

		"description":   cartograph.PartDescription,
		"tags":          cartograph.PartTags,
		"metaTags":      cartograph.PartMetaTags,
		"links":         cartograph.PartLinks,
		"permissions":   cartograph.PartPermissions,
		"generalAccess": cartograph.PartAccess,
		"origin":        cartograph.PartAuthors, "createdBy": cartograph.PartAuthors, "lastChangedBy": cartograph.PartAuthors,
		"createdAt": cartograph.PartTimes, "updatedAt": cartograph.PartTimes,
	}
	// provider alone is the one most pages show (the benchmark's Q2 lists
	// resources by name and provider); the rest of the identity is read
	// with any of its fields.
	m["provider"] = cartograph.PartProvider
	for _, f := range []string{"providerType", "providerResourceKey", "providerResourceType", "providerAccountId", "location"} {
		m[f] = cartograph.PartProviderKeys
	}
	for _, f := range []string{"lifecycle", "languages", "repositoryPath", "details", "deepLinkUrl", "requirements",
		"packageManager", "packageLabel", "url", "contributors", "release", "repoPath", "totalDependencies",
		"email", "isActive", "userId", "externalId", "familyName", "givenName", "photoUrl", "provisioned"} {
		m[f] = cartograph.PartAttrs
	}
	// Relation fields read the parent's id; their pages load their own rows.
	for _, rf := range cartograph.RelationPaths {
		for name := range rf {
			m[name] = cartograph.PartCore
		}
	}
	return m
}()

// pageParts returns the parts of each entity that the items of a page field
// (its selection set: items, totalCount, ...) show.
func pageParts(sel ast.SelectionSet) cartograph.EntityParts {
	parts := cartograph.PartCore
	eachField(sel, func(f *ast.Field) {
		if f.Name == "items" {
			parts |= entityParts(f.SelectionSet)
		}
	})
	return parts
}

// selects reports whether sel asks for the field name.
func selects(sel ast.SelectionSet, name string) bool {
	found := false
	eachField(sel, func(f *ast.Field) { found = found || f.Name == name })
	return found
}

// entityParts returns the parts of an entity that a selection on it shows.
// Fragments count whatever their type condition: reading a column too many
// is harmless.
func entityParts(sel ast.SelectionSet) cartograph.EntityParts {
	parts := cartograph.PartCore
	eachField(sel, func(f *ast.Field) {
		p, ok := fieldParts[f.Name]
		if !ok {
			p = cartograph.AllParts
		}
		parts |= p
	})
	return parts
}

// eachField calls fn for each field of sel, looking through fragments.
func eachField(sel ast.SelectionSet, fn func(*ast.Field)) {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			fn(s)
		case *ast.InlineFragment:
			eachField(s.SelectionSet, fn)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				eachField(s.Definition.SelectionSet, fn)
			}
		}
	}
}
