package console

import (
	"reflect"
	"testing"
	"time"

	"github.com/ferryhq/ferry/internal/promotion"
)

func TestApprovalsOfListsCountedThenUncountedWithWhy(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    promotion.Promotion
		want []approvalRow
	}{
		{"none", promotion.Promotion{Reason: "waiting for approvals: 0 of 1 (POST /api/v1/promotions/{id}/approve)"}, nil},
		{"counted only", promotion.Promotion{Approvers: []string{"alice"}, Reason: "approved by alice; merging"},
			[]approvalRow{{User: "alice", Counted: true}}},
		{"uncounted from the gate's reason",
			promotion.Promotion{Approvers: []string{"alice"},
				Reason: "waiting for approvals: 1 of 2 (mallory: no write access; bob: requested the promotion) (POST /api/v1/promotions/{id}/approve)"},
			[]approvalRow{{User: "alice", Counted: true}, {User: "mallory", Reason: "no write access"}, {User: "bob", Reason: "requested the promotion"}}},
		{"the stored records win over the reason",
			promotion.Promotion{Approvers: []string{"alice"}, Reason: "mergeable: waiting for someone to merge",
				Approvals: []promotion.Approval{{User: "carol", Reason: "not in approvers"}, {User: "alice", Counted: true}}},
			[]approvalRow{{User: "carol", Reason: "not in approvers"}, {User: "alice", Counted: true}}},
		{"when each was given, when the host says",
			promotion.Promotion{Approvals: []promotion.Approval{{User: "alice", Counted: true, At: time.Date(2026, 11, 30, 9, 12, 44, 0, time.UTC)}}},
			[]approvalRow{{User: "alice", Counted: true, At: time.Date(2026, 11, 30, 9, 12, 44, 0, time.UTC)}}},
		{"a stale approval", promotion.Promotion{Reason: "waiting for approvals: 0 of 1 (carol: stale: given on an older head)"},
			[]approvalRow{{User: "carol", Reason: "stale: given on an older head"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := approvalsOf(tc.p); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("approvalsOf = %+v, want %+v", got, tc.want)
			}
		})
	}
}
