package cartograph

// RelationPaths names, per entity type, the relations a query can follow:
// the GraphQL relation fields and the dotted paths of the query builder
// ("environments.resources.provider" from a service).
var RelationPaths = map[EntityType]map[string]Hop{
	Service: {
		"dependencies": {Label: "depends_on", Dir: Out, Type: Service},
		"dependents":   {Label: "depends_on", Dir: In, Type: Service},
		"environments": {Label: "has_environment", Dir: Out, Type: Environment},
		"systems":      {Label: "part_of", Dir: Out, Type: System},
		"applications": {Label: "belongs_to", Dir: Out, Type: Application},
		"repositories": {Label: "has_repository", Dir: Out, Type: Repository},
	},
	Environment: {
		"resources": {Label: "contains", Dir: Out, Type: Resource},
		"services":  {Label: "has_environment", Dir: In, Type: Service},
	},
	Resource: {
		"environments": {Label: "contains", Dir: In, Type: Environment},
		"parents":      {Label: "child_of", Dir: Out, Type: Resource},
		"children":     {Label: "child_of", Dir: In, Type: Resource},
		"uses":         {Label: "uses", Dir: Out, Type: Resource},
		"usedBy":       {Label: "uses", Dir: In, Type: Resource},
	},
	System: {
		"services":     {Label: "part_of", Dir: In, Type: Service},
		"dependencies": {Label: "depends_on", Dir: Out, Type: System},
		"dependents":   {Label: "depends_on", Dir: In, Type: System},
	},
	Application: {
		"services":     {Label: "belongs_to", Dir: In, Type: Service},
		"dependencies": {Label: "depends_on", Dir: Out, Type: Application},
		"dependents":   {Label: "depends_on", Dir: In, Type: Application},
	},
	Repository: {
		"services":  {Label: "has_repository", Dir: In, Type: Service},
		"libraries": {Label: "has_library", Dir: Out, Type: Library},
		"manifests": {Label: "has_manifest", Dir: Out, Type: Manifest},
	},
	Manifest: {
		"dependencies": {Label: "has_dependency", Dir: Out, Type: Library},
		"repositories": {Label: "has_manifest", Dir: In, Type: Repository},
	},
	Library: {
		"dependents":   {Label: "has_dependency", Dir: In, Type: Manifest},
		"repositories": {Label: "has_library", Dir: In, Type: Repository},
	},
	Team: {
		"members": {Label: "belongs_to", Dir: Out, Type: Person},
	},
	Person: {
		"teams": {Label: "belongs_to", Dir: In, Type: Team},
	},
}
