package graph

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/attribute"

	"cartograph/tracing"
)

// traced adds spans to GraphQL execution: one per response (the operation,
// named by type and operation name) and one per root field, whose resolvers
// run the prefetching statements. Nested fields read through dataloaders,
// whose batches have spans of their own (newLoader), so a trace shows every
// statement under the field or batch that ran it without a span per item.
// NewHandler installs it only when tracing is enabled.
type traced struct{}

var (
	_ graphql.HandlerExtension    = traced{}
	_ graphql.ResponseInterceptor = traced{}
	_ graphql.FieldInterceptor    = traced{}
)

func (traced) ExtensionName() string                   { return "Tracing" }
func (traced) Validate(graphql.ExecutableSchema) error { return nil }

func (traced) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	oc := graphql.GetOperationContext(ctx)
	name, kind := "", "query"
	if oc != nil && oc.Operation != nil {
		name, kind = oc.Operation.Name, string(oc.Operation.Operation)
	}
	ctx, end := tracing.Start(ctx, "graphql "+kind+" "+name,
		attribute.String("graphql.operation.type", kind),
		attribute.String("graphql.operation.name", name))
	resp := next(ctx)
	var err error
	if resp != nil && len(resp.Errors) > 0 {
		err = errors.New(resp.Errors.Error())
	}
	end(err)
	return resp
}

func (traced) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver || (fc.Object != "Query" && fc.Object != "Mutation" && fc.Object != "Subscription") {
		return next(ctx)
	}
	ctx, end := rootFieldSpan(ctx, fc)
	res, err := next(ctx)
	end(err)
	return res, err
}

// rootFieldSpan starts the span of root field fc, whose context ctx holds.
func rootFieldSpan(ctx context.Context, fc *graphql.FieldContext) (context.Context, func(error)) {
	return tracing.Start(ctx, "graphql field "+fc.Object+"."+fc.Field.Name,
		attribute.String("graphql.field.path", fc.Path().String()))
}
