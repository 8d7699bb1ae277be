package promotion

import (
	"fmt"
	"regexp"
	"strings"
)

// PipelineStatus says which pipeline (ferry.yaml) a repository's promotions
// follow, and whether a newer one failed to load: Ferry keeps the last good
// pipeline, and says so instead of leaving it to the log.
type PipelineStatus struct {
	Repository string
	// Commit is the branch head whose pipeline is in use; "" when none has
	// loaded yet.
	Commit string
	// FailedCommit is the newest head whose pipeline did not load ("" when
	// the branch could not be read); Error says why, as file:line: reason.
	// Both are empty when the newest pipeline is the one in use.
	FailedCommit string
	Error        string
}

// Stale reports whether a newer pipeline failed to load.
func (s PipelineStatus) Stale() bool { return s.Error != "" }

// Warning is the sentence the API and the web page show for a stale
// pipeline: "pipeline at <sha> failed to load: <file:line: reason>; using
// <good sha>", or "" when the pipeline is current.
func (s PipelineStatus) Warning() string {
	if !s.Stale() {
		return ""
	}
	at := "pipeline"
	if s.FailedCommit != "" {
		at = "pipeline at " + short(s.FailedCommit)
	}
	using := "no pipeline has loaded yet"
	if s.Commit != "" {
		using = "using " + short(s.Commit)
	}
	return fmt.Sprintf("%s failed to load: %s; %s", at, s.Error, using)
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// Pipelines returns each repository's pipeline status, in config order.
func (e *Engine) Pipelines() []PipelineStatus {
	return e.catalog.statuses()
}

// PipelineLoadFailures counts the pipeline loads that failed since start.
func (e *Engine) PipelineLoadFailures() uint64 {
	e.catalog.mu.Lock()
	defer e.catalog.mu.Unlock()
	return e.catalog.failures
}

func (c *catalog) statuses() []PipelineStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]PipelineStatus, 0, len(c.repos))
	for _, r := range c.repos {
		s := PipelineStatus{Repository: r.Name, Commit: c.loaded[r.Name].head}
		if f, ok := c.loadErr[r.Name]; ok {
			s.FailedCommit, s.Error = f.head, f.err.Error()
		}
		out = append(out, s)
	}
	return out
}

// warning is the stale-pipeline sentence of repo, or "".
func (c *catalog) warning(repo string) string {
	for _, s := range c.statuses() {
		if s.Repository == repo {
			return s.Warning()
		}
	}
	return ""
}

var yamlLineRE = regexp.MustCompile(`^line (\d+): `)

// pipelineError rewrites what config.ParsePipeline says into "file:line:
// reason" (or "file: reason" when the reason has no line), one line.
func pipelineError(file string, err error) error {
	msg := err.Error()
	for _, p := range []string{"parsing: ", "yaml: ", "unmarshal errors:\n", "invalid config:\n"} {
		msg = strings.TrimPrefix(msg, p)
	}
	var parts []string
	for _, l := range strings.Split(msg, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	msg = strings.Join(parts, "; ")
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s:%s: %s", file, m[1], msg[len(m[0]):])
	}
	return fmt.Errorf("%s: %s", file, msg)
}
