// Package ext stands in for Traefik's nested dynamic-config extension module, which its module
// zip does not contain. Traefik embeds these structs inline; empty ones add no fields.
package ext

// HTTP is embedded in dynamic.HTTPConfiguration.
type HTTP struct{}

// Router is embedded in dynamic.Router.
type Router struct{}

// RouterIng is embedded in the ingress provider's router.
type RouterIng struct{}
