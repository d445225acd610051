package graph

import "cartograph/cartograph"

// relationFields maps each GraphQL relation field ("Type.field") to the hop
// it follows; resolvers and prefetchers both read it.
var relationFields = map[string]relationField{
	"Service.dependencies":     {cartograph.Hop{Label: "depends_on", Dir: cartograph.Out, Type: cartograph.Service}, "ServicePage"},
	"Service.dependents":       {cartograph.Hop{Label: "depends_on", Dir: cartograph.In, Type: cartograph.Service}, "ServicePage"},
	"Service.environments":     {cartograph.Hop{Label: "has_environment", Dir: cartograph.Out, Type: cartograph.Environment}, "EnvironmentPage"},
	"Service.systems":          {cartograph.Hop{Label: "part_of", Dir: cartograph.Out, Type: cartograph.System}, "SystemPage"},
	"Service.applications":     {cartograph.Hop{Label: "belongs_to", Dir: cartograph.Out, Type: cartograph.Application}, "ApplicationPage"},
	"Service.repositories":     {cartograph.Hop{Label: "has_repository", Dir: cartograph.Out, Type: cartograph.Repository}, "RepositoryPage"},
	"Environment.resources":    {cartograph.Hop{Label: "contains", Dir: cartograph.Out, Type: cartograph.Resource}, "ResourcePage"},
	"Environment.services":     {cartograph.Hop{Label: "has_environment", Dir: cartograph.In, Type: cartograph.Service}, "ServicePage"},
	"Resource.environments":    {cartograph.Hop{Label: "contains", Dir: cartograph.In, Type: cartograph.Environment}, "EnvironmentPage"},
	"Resource.parents":         {cartograph.Hop{Label: "child_of", Dir: cartograph.Out, Type: cartograph.Resource}, "ResourcePage"},
	"Resource.children":        {cartograph.Hop{Label: "child_of", Dir: cartograph.In, Type: cartograph.Resource}, "ResourcePage"},
	"Resource.uses":            {cartograph.Hop{Label: "uses", Dir: cartograph.Out, Type: cartograph.Resource}, "ResourcePage"},
	"Resource.usedBy":          {cartograph.Hop{Label: "uses", Dir: cartograph.In, Type: cartograph.Resource}, "ResourcePage"},
	"System.services":          {cartograph.Hop{Label: "part_of", Dir: cartograph.In, Type: cartograph.Service}, "ServicePage"},
	"System.dependencies":      {cartograph.Hop{Label: "depends_on", Dir: cartograph.Out, Type: cartograph.System}, "SystemPage"},
	"System.dependents":        {cartograph.Hop{Label: "depends_on", Dir: cartograph.In, Type: cartograph.System}, "SystemPage"},
	"Application.services":     {cartograph.Hop{Label: "belongs_to", Dir: cartograph.In, Type: cartograph.Service}, "ServicePage"},
	"Application.dependencies": {cartograph.Hop{Label: "depends_on", Dir: cartograph.Out, Type: cartograph.Application}, "ApplicationPage"},
	"Application.dependents":   {cartograph.Hop{Label: "depends_on", Dir: cartograph.In, Type: cartograph.Application}, "ApplicationPage"},
	"Repository.services":      {cartograph.Hop{Label: "has_repository", Dir: cartograph.In, Type: cartograph.Service}, "ServicePage"},
	"Repository.libraries":     {cartograph.Hop{Label: "has_library", Dir: cartograph.Out, Type: cartograph.Library}, "LibraryPage"},
	"Repository.manifests":     {cartograph.Hop{Label: "has_manifest", Dir: cartograph.Out, Type: cartograph.Manifest}, "ManifestPage"},
	"Manifest.dependencies":    {cartograph.Hop{Label: "has_dependency", Dir: cartograph.Out, Type: cartograph.Library}, "LibraryPage"},
	"Manifest.repositories":    {cartograph.Hop{Label: "has_manifest", Dir: cartograph.In, Type: cartograph.Repository}, "RepositoryPage"},
	"Library.dependents":       {cartograph.Hop{Label: "has_dependency", Dir: cartograph.In, Type: cartograph.Manifest}, "ManifestPage"},
	"Library.repositories":     {cartograph.Hop{Label: "has_library", Dir: cartograph.In, Type: cartograph.Repository}, "RepositoryPage"},
	"Team.members":             {cartograph.Hop{Label: "belongs_to", Dir: cartograph.Out, Type: cartograph.Person}, "PersonPage"},
	"Person.teams":             {cartograph.Hop{Label: "belongs_to", Dir: cartograph.In, Type: cartograph.Team}, "TeamPage"},
}

// relationComplexity makes every relation field count its children once per
// item of its page.
func relationComplexity(c *ComplexityRoot) {
	c.Service.Dependencies = pagedCost
	c.Service.Dependents = pagedCost
	c.Service.Environments = pagedCost
	c.Service.Systems = pagedCost
	c.Service.Applications = pagedCost
	c.Service.Repositories = pagedCost
	c.Environment.Resources = pagedCost
	c.Environment.Services = pagedCost
	c.Resource.Environments = pagedCost
	c.Resource.Parents = pagedCost
	c.Resource.Children = pagedCost
	c.Resource.Uses = pagedCost
	c.Resource.UsedBy = pagedCost
	c.System.Services = pagedCost
	c.System.Dependencies = pagedCost
	c.System.Dependents = pagedCost
	c.Application.Services = pagedCost
	c.Application.Dependencies = pagedCost
	c.Application.Dependents = pagedCost
	c.Repository.Services = pagedCost
	c.Repository.Libraries = pagedCost
	c.Repository.Manifests = pagedCost
	c.Manifest.Dependencies = pagedCost
	c.Manifest.Repositories = pagedCost
	c.Library.Dependents = pagedCost
	c.Library.Repositories = pagedCost
	c.Team.Members = pagedCost
	c.Person.Teams = pagedCost
}
