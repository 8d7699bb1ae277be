package render

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// maxListed bounds the changes one reason lists.
const maxListed = 3

// differ compares rendered output before and after an edit. Container images
// are left to the pin check; any other value must be equal, or differ only
// by the old tag and digest of the application's image becoming the new
// ones (a chart that puts the tag in a version label).
type differ struct {
	bump    *strings.Replacer
	other   []string // changes outside the application's images
	foreign []string // images of other repositories that changed
	repo    string   // the application's canonical repository
}

func (d *differ) note(list *[]string, format string, args ...any) {
	if len(*list) < maxListed {
		*list = append(*list, fmt.Sprintf(format, args...))
	} else if len(*list) == maxListed {
		*list = append(*list, "…")
	}
}

func (d *differ) docs(before, after []any) {
	if len(before) != len(after) {
		d.note(&d.other, "%d documents became %d", len(before), len(after))
		return
	}
	for i := range before {
		d.value(docName(after[i]), "", before[i], after[i])
	}
}

func (d *differ) value(doc, p string, a, b any) {
	if isImageField(p) {
		as, _ := a.(string)
		bs, _ := b.(string)
		if parseRef(bs).repo != d.repo && as != bs {
			d.note(&d.foreign, "%s %s: image %q became %q", doc, p, as, bs)
		}
		return
	}
	switch at := a.(type) {
	case map[string]any:
		bt, ok := b.(map[string]any)
		if !ok {
			d.note(&d.other, "%s %s changed type", doc, p)
			return
		}
		keys := make([]string, 0, len(at)+len(bt))
		for k := range at {
			keys = append(keys, k)
		}
		for k := range bt {
			if _, ok := at[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			av, aok := at[k]
			bv, bok := bt[k]
			switch {
			case !aok:
				d.note(&d.other, "%s %s.%s was added", doc, p, k)
			case !bok:
				d.note(&d.other, "%s %s.%s was removed", doc, p, k)
			default:
				d.value(doc, p+"."+k, av, bv)
			}
		}
	case []any:
		bt, ok := b.([]any)
		if !ok || len(at) != len(bt) {
			d.note(&d.other, "%s %s changed length or type", doc, p)
			return
		}
		for i := range at {
			d.value(doc, p+"["+strconv.Itoa(i)+"]", at[i], bt[i])
		}
	case string:
		bs, ok := b.(string)
		if !ok || (at != bs && d.bump.Replace(at) != bs) {
			d.note(&d.other, "%s %s: %q became %v", doc, p, at, b)
		}
	default:
		if !reflect.DeepEqual(a, b) {
			d.note(&d.other, "%s %s: %v became %v", doc, p, a, b)
		}
	}
}
