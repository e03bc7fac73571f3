// Package deploy holds the files that run feedpost elsewhere — the GitHub
// Actions workflows, the systemd units, the compose file — and embeds the
// workflows, so that `feedpost init --github-actions` copies the very files
// CI checks with actionlint and runs in its tests.
package deploy

import "embed"

// GitHubActions holds github-actions/*.yml, each a workflow for a user's
// repository (see the comments at their top).
//
//go:embed github-actions/*.yml
var GitHubActions embed.FS

// Workflow names in GitHubActions.
const (
	HexoWorkflow = "github-actions/feedpost-hexo.yml" // a Hexo blog's repository: commit posts, publish the blog
	SiteWorkflow = "github-actions/feedpost-site.yml" // the built-in site alone
)
