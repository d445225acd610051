package graph

import (
	"time"

	"cartograph/cartograph"
	"cartograph/graph/model"
)

// newAPIKey converts the GraphQL input; a bad duration is Invalid on expiresIn.
func newAPIKey(in model.CreateAPIKeyInput) (cartograph.NewAPIKey, error) {
	out := cartograph.NewAPIKey{Name: in.Name, Scope: in.Scope, Role: in.Role}
	if in.ExpiresIn != nil {
		d, err := time.ParseDuration(*in.ExpiresIn)
		if err != nil {
			return out, &cartograph.Error{Code: cartograph.Invalid, Field: "expiresIn",
				Message: "expiresIn must be a duration such as 720h"}
		}
		out.ExpiresIn = &d
	}
	return out, nil
}
