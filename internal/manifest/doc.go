// Package manifest sets and reads an application's image in YAML files of an
// environment repository, changing only the bytes of the values it sets.
//
// yaml.v3 parses the file to find nodes (line and column); Set then splices
// the original bytes of just those scalars and never re-encodes the document,
// so comments, key order, quoting, indentation, flow style, anchors, blank
// lines, CRLF, a missing final newline and document markers stay
// byte-identical. Before returning, Set re-parses its output and checks that
// it is the input tree with exactly the intended changes; if not, it refuses.
//
// Target kinds:
//   - kustomize: an images: entry whose name or newName is the image gets
//     newTag and digest (keys added at the end of the entry when missing);
//     a missing entry (name/newTag/digest) is added at the end of images:,
//     and images: itself at the end of the document, in the file's sequence
//     indentation style. Every matching entry is set; Get reads the first.
//   - helm: dotted paths (numbers index lists) for repository, tag and digest.
//     With a digest field, tag and digest are set; without one, the tag field
//     gets tag@digest. The repository field is never rewritten (charts split
//     registry and repository in many ways). When the tag path does not exist
//     and the repository path, or its parent, holds a string, that string is
//     the "string form" and is rewritten whole as repo:tag@digest.
//   - manifest: every image: field, in any document, whose repository is the
//     image gets repo:tag@digest, keeping the repository spelling found.
//   - marker: scalars with a line comment "# ferry:image NAME" (repo:tag@digest),
//     "# ferry:tag NAME" (the tag, or tag@digest when the file has no
//     "# ferry:digest NAME"), "# ferry:digest NAME" (the digest). An empty
//     value ("tag: # ferry:tag x") is filled.
//
// Further choices:
//   - Set needs a pinned image: repository, tag and digest (sha256 or sha512).
//   - Quoting style is kept. The one exception: a plain value that would read
//     back as another type (a tag "1.10" would be a number) is written
//     double-quoted.
//   - For image strings (manifest, marker image, Helm string form) the
//     repository spelling already in the file is kept when it names the same
//     repository; otherwise the image's repository is written.
//   - Refused, with file, line and reason, and nil output: invalid YAML or
//     UTF-8, a file over the size limit, aliases expanding beyond the limit
//     or containing themselves, a value that is an alias or is anchored and
//     used by an alias, a Helm path through such a node, block scalars,
//     multi-line values, a mapping or list where a string is expected.
//   - Line 0 means the whole file; Error then prints "file: reason".
//   - Get returns the first place found; it does not check that several
//     places agree.
package manifest
