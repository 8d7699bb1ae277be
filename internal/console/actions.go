package console

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/ferryhq/ferry/internal/promotion"
)

type confirmData struct {
	page
	Action      string // approve, cancel, promote
	Verb        string
	Post        string
	Application string
	Environment string
	Release     promotion.Release
	Running     *cell
	Rollback    bool
	P           *promotion.Promotion
	Need        int
	Back        string
}

// confirm asks before approving or cancelling, showing the change.
func (c *Console) confirm(w http.ResponseWriter, r *http.Request, v viewer) {
	ctx, cancel := context.WithTimeout(r.Context(), c.cfg.PageTimeout)
	defer cancel()
	action := r.URL.Query().Get("action")
	if action != "approve" && action != "cancel" {
		c.refuse(w, r, v, http.StatusBadRequest, "Unknown action: approve or cancel.")
		return
	}
	d, err := c.loadPromotion(ctx, v, r.PathValue("id"))
	if err != nil {
		c.refuse(w, r, v, statusOf(err), c.errorText("promotion "+r.PathValue("id"), err))
		return
	}
	if !d.CanAct {
		c.refuse(w, r, v, http.StatusForbidden, v.notAllowed(d.P.Application, d.P.Environment))
		return
	}
	verb := "Approve"
	if action == "cancel" {
		verb = "Cancel"
	}
	c.render(w, http.StatusOK, "confirm", confirmData{page: c.newPage(v, verb+" "+d.P.ID), Action: action, Verb: verb,
		Post: "/ui/promotions/" + url.PathEscape(d.P.ID) + "/" + action, Application: d.P.Application,
		Environment: d.P.Environment, Release: d.Release, Running: d.Running, P: &d.P, Need: d.Need,
		Back: "/ui/promotions/" + url.PathEscape(d.P.ID)})
}

// confirmPromote asks before promoting (or rolling back) a release.
func (c *Console) confirmPromote(w http.ResponseWriter, r *http.Request, v viewer) {
	ctx, cancel := context.WithTimeout(r.Context(), c.cfg.PageTimeout)
	defer cancel()
	q := r.URL.Query()
	app, env, rel := q.Get("application"), q.Get("environment"), q.Get("release")
	if !v.mayAct(app, env) {
		c.refuse(w, r, v, http.StatusForbidden, v.notAllowed(app, env))
		return
	}
	release, err := c.engine.Release(ctx, rel)
	if err != nil || release.Application != app {
		c.refuse(w, r, v, http.StatusNotFound, "No release "+rel+" of "+app+".")
		return
	}
	d := confirmData{page: c.newPage(v, "Promote "+app+" to "+env), Action: "promote", Verb: "Promote",
		Post: "/ui/promote", Application: app, Environment: env, Release: release, Back: "/ui/apps/" + url.PathEscape(app)}
	if st, err := c.engine.ApplicationStatus(ctx, app); err == nil {
		for _, e := range st.Environments {
			if e.Env.Name == env {
				d.Running = &cell{Env: env, Tag: e.Current.Tag, Digest: e.Current.Digest, Err: e.Err}
				if e.Release != nil && e.Release.CreatedAt.After(release.CreatedAt) {
					d.Rollback, d.Verb = true, "Roll back"
					d.Title = "Roll back " + app + " in " + env
				}
			}
		}
	}
	c.render(w, http.StatusOK, "confirm", d)
}

func (c *Console) approve(w http.ResponseWriter, r *http.Request, v viewer) {
	id := r.PathValue("id")
	if !c.mayActOn(r.Context(), w, r, v, id) {
		return
	}
	if _, err := c.engine.Approve(r.Context(), id, v.Name); err != nil {
		c.refuse(w, r, v, statusOf(err), c.errorText("approving", err))
		return
	}
	http.Redirect(w, r, "/ui/promotions/"+url.PathEscape(id), http.StatusSeeOther)
}

func (c *Console) cancel(w http.ResponseWriter, r *http.Request, v viewer) {
	id := r.PathValue("id")
	if !c.mayActOn(r.Context(), w, r, v, id) {
		return
	}
	why := strings.TrimSpace(r.PostFormValue("reason"))
	if len(why) > 1000 {
		c.refuse(w, r, v, http.StatusUnprocessableEntity, "The reason is at most 1000 characters.")
		return
	}
	if _, err := c.engine.Cancel(r.Context(), id, v.Name, why); err != nil {
		c.refuse(w, r, v, statusOf(err), c.errorText("cancelling", err))
		return
	}
	http.Redirect(w, r, "/ui/promotions/"+url.PathEscape(id), http.StatusSeeOther)
}

func (c *Console) promote(w http.ResponseWriter, r *http.Request, v viewer) {
	app, env, rel := r.PostFormValue("application"), r.PostFormValue("environment"), r.PostFormValue("release")
	if !v.mayAct(app, env) {
		c.refuse(w, r, v, http.StatusForbidden, v.notAllowed(app, env))
		return
	}
	why := strings.TrimSpace(r.PostFormValue("reason"))
	if len(why) > 1000 {
		c.refuse(w, r, v, http.StatusUnprocessableEntity, "The reason is at most 1000 characters.")
		return
	}
	p, err := c.engine.Promote(r.Context(), promotion.PromoteRequest{Application: app, Environment: env, Release: rel,
		Force: r.PostFormValue("force") == "on", Reason: why}, v.Name)
	if err != nil {
		c.refuse(w, r, v, statusOf(err), c.errorText("promoting", err))
		return
	}
	http.Redirect(w, r, "/ui/promotions/"+url.PathEscape(p.ID), http.StatusSeeOther)
}

// mayActOn checks the viewer may change promotion id (its application in
// its environment), and
// says why not.
func (c *Console) mayActOn(ctx context.Context, w http.ResponseWriter, r *http.Request, v viewer, id string) bool {
	p, err := c.engine.Promotion(ctx, id)
	if err != nil {
		c.refuse(w, r, v, statusOf(err), c.errorText("promotion "+id, err))
		return false
	}
	if !v.mayAct(p.Application, p.Environment) {
		c.refuse(w, r, v, http.StatusForbidden, v.notAllowed(p.Application, p.Environment))
		return false
	}
	return true
}
