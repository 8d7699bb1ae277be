package promotion

import (
	"fmt"

	"github.com/ferryhq/ferry/internal/config"
)

// vetHealth refuses, when the pipeline loads, a health gate in a
// repository whose Git host provider cannot read commit statuses (Azure
// DevOps today): a gate that could never open would otherwise hold every
// promotion into that environment until it failed it, one by one.
func (e *Engine) vetHealth(repo string, p *config.Pipeline) error {
	if _, ok := e.providers[repo].(CommitStatuses); ok {
		return nil
	}
	for _, env := range p.Environments {
		if env.Gates.Health != nil {
			return fmt.Errorf("environment %s: gates.health reads commit statuses, and the Git host provider of repository %s cannot read them "+
				"(GitHub, GitLab, Gitea, Bitbucket Cloud, Bitbucket Data Center and the built-in provider can)", env.Name, repo)
		}
	}
	return nil
}
