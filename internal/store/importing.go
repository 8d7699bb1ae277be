package store

import (
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

// PrepareImport checks r and ps for Importer.ImportRelease and returns them
// as they will be stored (see PrepareRelease and PreparePromotion); a
// promotion with no ReleaseID or Application gets r's.
func PrepareImport(r promotion.Release, ps []promotion.Promotion, now time.Time) (promotion.Release, []promotion.Promotion, error) {
	r, err := PrepareRelease(r, now)
	if err != nil {
		return r, nil, err
	}
	out := make([]promotion.Promotion, 0, len(ps))
	for _, p := range ps {
		p, err := PreparePromotion(ofRelease(p, r), now)
		if err != nil {
			return r, nil, err
		}
		out = append(out, p)
	}
	return r, out, nil
}
