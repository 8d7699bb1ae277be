package manifest

import "strconv"

func itoa(i int) string            { return strconv.Itoa(i) }
func strconvQuote(s string) string { return strconv.Quote(s) }
