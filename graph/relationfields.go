package graph

import (
	"cartograph/cartograph"
	"cartograph/graph/model"
)

// relationFields maps each GraphQL relation field ("Type.field") to the hop
// it follows and the page type it returns; built from the domain's
// cartograph.RelationPaths, which the query builder's paths use too.
var relationFields = func() map[string]relationField {
	out := map[string]relationField{}
	for t, fields := range cartograph.RelationPaths {
		for name, hop := range fields {
			out[model.TypeName(t)+"."+name] = relationField{hop, model.TypeName(hop.Type) + "Page"}
		}
	}
	return out
}()

// relationComplexity makes every relation field count its children once per
// item of its page.
func relationComplexity(c *ComplexityRoot) {
	c.Service.Dependencies = relationCost
	c.Service.Dependents = relationCost
	c.Service.Environments = relationCost
	c.Service.Systems = relationCost
	c.Service.Applications = relationCost
	c.Service.Repositories = relationCost
	c.Environment.Resources = relationCost
	c.Environment.Services = relationCost
	c.Resource.Environments = relationCost
	c.Resource.Parents = relationCost
	c.Resource.Children = relationCost
	c.Resource.Uses = relationCost
	c.Resource.UsedBy = relationCost
	c.System.Services = relationCost
	c.System.Dependencies = relationCost
	c.System.Dependents = relationCost
	c.Application.Services = relationCost
	c.Application.Dependencies = relationCost
	c.Application.Dependents = relationCost
	c.Repository.Services = relationCost
	c.Repository.Libraries = relationCost
	c.Repository.Manifests = relationCost
	c.Manifest.Dependencies = relationCost
	c.Manifest.Repositories = relationCost
	c.Library.Dependents = relationCost
	c.Library.Repositories = relationCost
	c.Team.Members = relationCost
	c.Person.Teams = relationCost
}
