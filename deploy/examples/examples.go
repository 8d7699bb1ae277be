// Package examples embeds the example environment repository that dev mode
// seeds its local bare repository with.
package examples

import "embed"

// EnvRepo holds env-repo/, rooted at "env-repo"; "all:" keeps the charts' _helpers.tpl.
//
//go:embed all:env-repo
var EnvRepo embed.FS
