package commitmsg

import "strings"

// field is one "Key: value" trailer.
type field struct{ key, value string }

// trailerBlock splits a message into the lines before its trailer block
// and the trailers, in order, as git interpret-trailers finds them:
// "Key: value" lines in the message's last paragraph (not its first),
// which must hold only trailers, or at least one Signed-off-by trailer
// among at least 25% trailer lines. Lines starting with whitespace
// continue the previous value (joined by a space); a line starting with
// "---" ends the message. Without a trailer block, body is every line.
func trailerBlock(message string) (body []string, trailers []field) {
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
		return lines, nil
	}
	var (
		trailerLines, other     int
		gitGenerated, inTrailer bool
	)
	for _, l := range lines[start:end] {
		if l[0] == ' ' || l[0] == '\t' {
			if inTrailer { // continues the trailer above it
				trailers[len(trailers)-1].value += " " + strings.TrimSpace(l)
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
		trailers = append(trailers, field{key, value})
	}
	if trailerLines == 0 || (other > 0 && !(gitGenerated && trailerLines*3 >= other)) {
		return lines, nil
	}
	return lines[:start], trailers
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
