package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/ferryhq/ferry/internal/promotion"
)

type promotionData struct {
	page
	P       promotion.Promotion
	Release promotion.Release
	Events  []promotion.Transition
	// Need is the approvals the environment requires, when Ferry says
	// (an open pull request's reason); 0 when unknown.
	Need int
	// Approvals are the promotion's approvals, counted or not and why;
	// Counted is how many counted.
	Approvals  []approvalRow
	Counted    int
	Open       bool // not finished: may be cancelled
	Approvable bool // an open built-in pull request
	Builtin    bool // the pull request is Ferry's built-in one
	CanAct     bool
	// Running is what the environment holds now, for the diff.
	Running *cell
	Next    []string // environments this release may be promoted to next
	// Diff is the stored diff's lines; with WholeFile, every line of the
	// file that carries it (File names it), or WholeError says why not.
	Diff       []diffLine
	WholeFile  bool
	File       promotion.PromotionFile
	WholeError string
	Error      string
}

// builtinPR reports whether a pull request's URL is one of Ferry's
// built-in provider: its pages are Ferry's own, /pulls/<repository>/<n>
// (relative: cmd/ferry wires the provider with no prefix), and only those
// are approved here; a Git host's are approved on the host.
func builtinPR(url string) bool {
	return url == "" || strings.HasPrefix(url, "/pulls/")
}

// pullRequest serves a built-in pull request's address,
// /pulls/<repository>/<number>: its promotion's page.
func (c *Console) pullRequest(w http.ResponseWriter, r *http.Request, v viewer) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n <= 0 {
		c.refuse(w, r, v, http.StatusNotFound, "No such pull request.")
		return
	}
	repo := r.PathValue("repo")
	inRepo := map[string]bool{}
	for _, a := range c.engine.Applications(r.Context()) {
		if a.Repository == repo {
			inRepo[a.Name] = true
		}
	}
	page, err := c.engine.Promotions(r.Context(), promotion.PromotionFilter{PRNumber: n, Limit: 100})
	if err != nil {
		c.refuse(w, r, v, statusOf(err), c.errorText("pull request", err))
		return
	}
	for _, p := range page.Items {
		if inRepo[p.Application] && builtinPR(p.PRURL) {
			http.Redirect(w, r, "/ui/promotions/"+url.PathEscape(p.ID), http.StatusSeeOther)
			return
		}
	}
	c.refuse(w, r, v, http.StatusNotFound, "No pull request #"+strconv.Itoa(n)+" in repository "+repo+".")
}

var approvalsRE = regexp.MustCompile(`approvals: (\d+) of (\d+)`)

// approvalsNeeded reads the required approvals from an open pull
// request's reason ("waiting for approvals: 1 of 2").
func approvalsNeeded(reason string) int {
	m := approvalsRE.FindStringSubmatch(reason)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[2])
	return n
}

func (c *Console) loadPromotion(ctx context.Context, v viewer, id string) (promotionData, error) {
	p, err := c.engine.Promotion(ctx, id)
	if err != nil {
		return promotionData{}, err
	}
	d := promotionData{page: c.newPage(v, "Promotion "+p.ID), P: p, Need: approvalsNeeded(p.Reason)}
	if d.Release, err = c.engine.Release(ctx, p.ReleaseID); err != nil {
		return promotionData{}, err
	}
	if d.Events, err = c.engine.Transitions(ctx, id); err != nil {
		return promotionData{}, err
	}
	d.Approvals = approvalsOf(p)
	d.Counted = countedApprovals(d.Approvals)
	d.Open = p.State == promotion.StatePending || p.State == promotion.StateWaiting || p.State == promotion.StatePROpen
	d.Builtin = p.PRBranch != "" && builtinPR(p.PRURL)
	d.Approvable = p.State == promotion.StatePROpen && d.Builtin
	d.CanAct = v.mayAct(p.Application, p.Environment)
	if st, err := c.engine.ApplicationStatus(ctx, p.Application); err == nil {
		for _, e := range st.Environments {
			if e.Env.Name == p.Environment {
				d.Running = &cell{Env: e.Env.Name, Tag: e.Current.Tag, Digest: e.Current.Digest, Err: e.Err}
			}
			if e.Env.From == p.Environment && (p.State == promotion.StateCommitted || p.State == promotion.StateMerged) {
				d.Next = append(d.Next, e.Env.Name)
			}
		}
	}
	return d, nil
}

// promotionPage shows one promotion: its events, approvals, links, and the
// actions the viewer may take.
func (c *Console) promotionPage(w http.ResponseWriter, r *http.Request, v viewer) {
	ctx, cancel := context.WithTimeout(r.Context(), c.cfg.PageTimeout)
	defer cancel()
	d, err := c.loadPromotion(ctx, v, r.PathValue("id"))
	if err != nil {
		c.refuse(w, r, v, statusOf(err), c.errorText("promotion "+r.PathValue("id"), err))
		return
	}
	d.Diff = diffLines(d.P.Diff)
	if d.P.Diff != "" && r.URL.Query().Get("view") == "file" {
		d.WholeFile = true
		if d.File, err = c.engine.PromotionFile(ctx, d.P.ID); err != nil {
			d.WholeError = c.errorText("whole file", err)
		} else if lines, err := wholeFile(d.P.Diff, d.File.Content); err != nil {
			d.WholeError = "Whole file: " + err.Error() + "; the change alone is below."
		} else {
			d.Diff = lines
		}
	}
	c.render(w, http.StatusOK, "promotion", d)
}
