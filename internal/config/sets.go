package config

import (
	"fmt"
	"slices"
)

// Set is a release set: applications of one pipeline that move together,
// promoted as one commit or one pull request per environment.
type Set struct {
	Name string `yaml:"name"`
	// Applications are the members, each an application of the pipeline
	// and in no other set.
	Applications []string `yaml:"applications"`
	// Entry is the environment where a set release is formed from members'
	// releases completed there. Default: the first environment.
	Entry string `yaml:"entry"`
}

// Set returns the set named name.
func (p *Pipeline) Set(name string) (*Set, bool) {
	for i := range p.Sets {
		if p.Sets[i].Name == name {
			return &p.Sets[i], true
		}
	}
	return nil, false
}

// SetOf returns the set app belongs to, if any.
func (p *Pipeline) SetOf(app string) (*Set, bool) {
	for i := range p.Sets {
		if slices.Contains(p.Sets[i].Applications, app) {
			return &p.Sets[i], true
		}
	}
	return nil, false
}

// validateSets checks the sets: a valid unique name, known members, each
// application in at most one set, members whose targets share one branch
// in every environment (a set moves as one commit per branch), and a known
// entry environment.
func (p *Pipeline) validateSets(errs *fieldErrors, apps map[string]bool, envs map[string]*Environment) {
	names := map[string]bool{}
	owner := map[string]string{} // application → set
	for i := range p.Sets {
		s := &p.Sets[i]
		f := fmt.Sprintf("sets[%d]", i)
		if !nameRE.MatchString(s.Name) {
			errs.add(f+".name", "%q must be lowercase letters, digits and dashes", s.Name)
		} else if names[s.Name] {
			errs.add(f+".name", "%q is used twice", s.Name)
		}
		names[s.Name] = true
		if len(s.Applications) == 0 {
			errs.add(f+".applications", "a set needs at least one application")
		}
		for j, a := range s.Applications {
			af := fmt.Sprintf("%s.applications[%d]", f, j)
			switch {
			case !apps[a]:
				errs.add(af, "unknown application %q (not in this pipeline)", a)
			case owner[a] == s.Name:
				errs.add(af, "application %q is listed twice", a)
			case owner[a] != "":
				errs.add(af, "application %q is already in set %q (an application is in at most one set)", a, owner[a])
			default:
				owner[a] = s.Name
			}
		}
		if s.Entry != "" && envs[s.Entry] == nil {
			errs.add(f+".entry", "unknown environment %q", s.Entry)
		}
		if s.Entry == "" {
			if fs := p.Firsts(); len(fs) > 0 {
				s.Entry = fs[0].Name
			}
		}
		for _, e := range p.Environments {
			branch := ""
			for _, a := range s.Applications {
				app, ok := p.Application(a)
				if !ok {
					continue
				}
				b := app.TargetFor(e.Name, e.Branch).Branch
				if branch == "" {
					branch = b
				} else if b != branch {
					errs.add(f+".applications", "members write to different branches in environment %s (%s, %s): a set moves as one commit per branch", e.Name, branch, b)
					break
				}
			}
		}
	}
}
