package gitrepo

import (
	"strings"
)

// ParseTrailers returns the trailers of a commit message as git
// interpret-trailers finds them: "Key: value" lines in the message's last
// paragraph (not its first), which must hold only trailers, or at least one
// Signed-off-by trailer among at least 25% trailer lines. Lines starting
// with whitespace continue the previous value (joined by a space); a line
// starting with "---" ends the message. Keys are kept as written; a key
// seen twice gets both values in order. It returns nil when there are none.
func ParseTrailers(message string) map[string][]string {
	lines := strings.Split(strings.ReplaceAll(message, "\r\n", "\n"), "\n")
	for i, l := range lines {
		if l == "---" || strings.HasPrefix(l, "--- ") {
			lines = lines[:i]
			break
		}
	}
	// Drop trailing blank lines, then take the last paragraph.
	end := len(lines)
	for end > 0 && strings.TrimSpace(lines[end-1]) == "" {
		end--
	}
	start := end
	for start > 0 && strings.TrimSpace(lines[start-1]) != "" {
		start--
	}
	if start == 0 { // the subject paragraph is never a trailer block
		return nil
	}
	block := lines[start:end]

	type trailer struct{ key, value string }
	var (
		found                   []trailer
		trailerLines, other     int
		gitGenerated, inTrailer bool
	)
	for _, l := range block {
		if l[0] == ' ' || l[0] == '\t' {
			if inTrailer { // continues the trailer above it
				found[len(found)-1].value += " " + strings.TrimSpace(l)
			}
			continue // continues whatever line is above it
		}
		key, value, ok := splitTrailer(l)
		inTrailer = ok
		if !ok {
			other++
			continue
		}
		trailerLines++
		if strings.EqualFold(key, "Signed-off-by") {
			gitGenerated = true
		}
		found = append(found, trailer{key, value})
	}
	if trailerLines == 0 || (other > 0 && !(gitGenerated && trailerLines*3 >= other)) {
		return nil
	}
	out := map[string][]string{}
	for _, t := range found {
		out[t.key] = append(out[t.key], t.value)
	}
	return out
}

// splitTrailer parses "Key: value"; whitespace is allowed before the colon,
// the key is letters, digits and dashes.
func splitTrailer(line string) (key, value string, ok bool) {
	i := strings.IndexByte(line, ':')
	if i <= 0 {
		return "", "", false
	}
	key = strings.TrimRight(line[:i], " \t")
	if key == "" {
		return "", "", false
	}
	for _, r := range key {
		if !(r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return "", "", false
		}
	}
	return key, strings.TrimSpace(line[i+1:]), true
}
