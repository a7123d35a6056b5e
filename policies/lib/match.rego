# Path and method matching on the decoded segments of `input.request.segments`.
#
# Patterns are arrays of strings. A pattern element that starts with ":" (":owner", ":repo")
# matches exactly one segment that is a valid name of that kind in the integration's system;
# every other element must equal the segment exactly (no case-folding, no trimming, no
# globbing). The gateway has already rejected empty and dot segments, so one segment is always
# one real path component.
#
# Why placeholders have a grammar: a segment is decoded once, so "acme%2Fother" arrives as the
# one segment "acme/other". If anything in front of the upstream decodes it again, or the
# upstream reads characters its names never contain in some other way (";" for Java servers,
# spaces, "@"), a placeholder that accepts anything lets a request name another resource than
# the one the rule meant. So each placeholder is checked against the system's naming grammar:
#
#   data.types.<type>.names = {":owner": {"first": "<chars>", "rest": "<chars>", "max": 39}}
#
# (policies/types/<type>/data.json): the first character is one of `first`, every
# character one of `rest`, at most `max` characters. A placeholder a type does not list uses
# `default_name` below, which has no "/" and no ";": slashes are accepted only where a type's
# grammar lists "/" (GitLab project paths, file paths, branch names).
package lib.match

# path(segments, pattern): the segments are exactly as long as the pattern and match it.
path(segments, pattern) if {
	count(segments) == count(pattern)
	prefix(segments, pattern)
}

# path_below(segments, pattern): the segments start with the pattern and have at least one
# more segment after it, e.g. ["repos", ":owner", ":repo", "contents"] matches
# /repos/acme/app/contents/src/main.go but not /repos/acme/app/contents itself.
path_below(segments, pattern) if {
	count(segments) > count(pattern)
	prefix(segments, pattern)
}

# path_or_below(segments, pattern): path(segments, pattern) or path_below(segments, pattern).
path_or_below(segments, pattern) if {
	count(segments) >= count(pattern)
	prefix(segments, pattern)
}

# prefix(segments, pattern): the first count(pattern) segments match the pattern.
prefix(segments, pattern) if {
	count(segments) >= count(pattern)
	every i, want in pattern {
		segment_matches(segments[i], want)
	}
}

# segment_matches(segment, want): segment equals want, or want is a ":name" placeholder and
# segment is a valid name of that kind (see name). One else-chain, so the equality (the common
# case) is tried first and the grammar only when it fails.
segment_matches(segment, want) if {
	segment == want
} else if {
	startswith(want, ":")
	name(segment, want)
}

# name(s, placeholder): s is a valid value for the placeholder in this integration's system.
name(s, placeholder) if {
	g := object.get(type_names, placeholder, default_name)
	count(s) <= g.max
	word(s, g.first, g.rest)
}

# The grammars of this integration's type, once per evaluation ({} for a type without any).
type_names := object.get(data.types, [integration_type, "names"], {})

default integration_type := ""

integration_type := input.integration.type

# Letters, digits and "_" first, then also "." and "-": what most systems allow in a name.
default_name := {
	"first": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_",
	"rest": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-",
	"max": 255,
}

# last(segments): the final segment (the file name for contents and raw paths). Read from the
# reversed array: arithmetic on numbers is decimal, and slow, in WASM.
last(segments) := array.reverse(segments)[0]

# positive_integer(s): s is a decimal number without sign or leading zero, e.g. an issue or
# pull request number (what `^[1-9][0-9]*$` matches, without a regex: a regex is compiled on
# every evaluation in WASM). Only ASCII digits: "" and "0..." are refused, and trim_left
# leaves any other character.
positive_integer(s) if {
	is_string(s)
	s != ""
	not startswith(s, "0")
	trim_left(s, "0123456789") == ""
}

# digits(s): s is one or more ASCII digits ("^[0-9]+$" without a regex).
digits(s) if {
	is_string(s)
	s != ""
	trim_left(s, "0123456789") == ""
}

# commit_id(s): a full commit id, 40 (SHA-1) or 64 (SHA-256) lower-case hexadecimal digits
# ("^[0-9a-f]{40}(?:[0-9a-f]{24})?$" without a regex).
commit_id(s) if {
	is_string(s)
	count(s) in [40, 64]
	trim_left(s, "0123456789abcdef") == ""
}

# word(s, first, rest): s is non-empty, its first character is one of the characters of
# `first` and every character of s is one of `rest` (which includes `first`). A character
# class pattern such as `^[A-Za-z0-9][A-Za-z0-9._-]*$` without a regex: trim_left removes the
# allowed characters, and anything else is left over.
word(s, first, rest) if {
	is_string(s)
	s != ""
	trim_left(substring(s, 0, 1), first) == ""
	trim_left(s, rest) == ""
}

# Character sets for word.
alnum := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

upper_digits := "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
