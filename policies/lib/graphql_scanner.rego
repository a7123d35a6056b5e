# A small, conservative scanner for GraphQL request bodies (https://spec.graphql.org/October2021/).
#
# Why this exists: a GraphQL endpoint is one URL for every read and write the API offers, so a
# rule can only judge a GraphQL request by what the document asks for. This scanner finds the
# operation type and its root fields, and every name the document uses, and refuses any
# document it cannot read with confidence, rather than guessing.
#
# Accepted: a JSON body {"query": "<document>", "variables": {...} or null, "operationName":
# "<name>" or null} (no other field) whose document is exactly one query or mutation, written
# as "{...}", "query [Name] [(variable definitions)] {...}" or the same with "mutation", with
# fields, aliases, arguments (literals or $variables), nested selection sets and inline
# fragments ("... on Type {...}").
#
# Refused, each with a reason from reason(body): other body fields; a document longer than
# max_length; block strings ("""); characters outside the GraphQL lexical grammar; directives
# (@include, @skip, ...); named fragments (...Name and fragment definitions); more than one
# operation; subscriptions; brace groups nested deeper than 12 (the collapse steps in
# collapsed); an operationName
# that does not name the operation.
#
# How: the document is split into tokens with one regular expression (comments are dropped,
# strings become "~" and numbers "0", so neither can hide a brace or a name). Then the
# innermost {...} groups are replaced by "%" until one group is left: that group is the
# root selection set, what stands before it is the operation header. Argument values that are
# input objects ({a: 1}) are brace groups too and collapse the same way.
package lib.graphql

# Longest document accepted, in bytes; scanners send short, fixed documents.
max_length := 16384

name_pattern := `[_A-Za-z][_0-9A-Za-z]*`

# One token: string, comment, variable or name, number, spread, punctuator.
token_pattern := concat("", [
	`"(?:[^"\\\n\r]|\\.)*"|#[^\n\r]*|\$?`, name_pattern,
	`|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|\.\.\.|[!():=@\[\]{}|&]`,
])

# One piece: a run of ignored characters (white space, line terminators, commas) or a token.
piece_pattern := concat("", [`[ \t\n\r,]+|`, token_pattern])

header_pattern := concat("", [
	`^(?:(query|mutation|subscription)(?: (`, name_pattern, `))?(?: \( [^(){}]* \))?)?$`,
])

root_field_pattern := concat("", [`(`, name_pattern, `)(?: : (`, name_pattern, `))?`])

root_pattern := concat("", [
	`^`, name_pattern, `(?: : `, name_pattern, `)?(?: %)?(?: `, name_pattern,
	`(?: : `, name_pattern, `)?(?: %)?)*$`,
])

body_fields := {"query", "variables", "operationName"}

# document(body): the scanned document, or undefined when it cannot be read confidently:
#   operation    "query" or "mutation"
#   name         the operation's name, or ""
#   root_fields  set of the root field names (aliases resolved to the field)
#   root         the root selection set as normalized text, e.g.
#                `addComment ( input : $input ) %` (strings "~", numbers "0", sub-selections "%")
#   names        set of every name in the document: fields, arguments, types, enum values
document(body) := {
	"operation": header[1],
	"name": header[2],
	"root_fields": {field_name(m) | some m in regex.find_all_string_submatch_n(root_field_pattern, bare_root, -1)},
	"root": root,
	"names": {t | some t in split(text, " "); substring(t, 0, 1) in name_starts},
} if {
	body_shape(body)
	ps := pieces(body.query)
	lexable(body.query, ps)
	text := normalized(ps)
	not contains(text, "@")
	not named_fragment(text)
	parts := structure(text)
	header := header_parts(parts[1])
	header[1] in {"query", "mutation"}
	operation_name_matches(body, header[2])
	root := squeeze(parts[2])
	bare_root := squeeze(strings.replace_n(
		{m[0]: " " | some m in regex.find_all_string_submatch_n(`\([^()]*\)`, root, -1)},
		root,
	))
	regex.match(root_pattern, bare_root)
}

# reason(body): why document(body) is undefined (only meaningful then).
reason(body) := "a GraphQL request body must be a JSON object with a string \"query\" and only \"variables\" and \"operationName\" besides" if {
	not body_shape(body)
} else := "the GraphQL document is too long or has characters, block strings or tokens this policy does not read" if {
	not lexable(body.query, pieces(body.query))
} else := "GraphQL directives (@...) are not accepted" if {
	contains(normalized(pieces(body.query)), "@")
} else := "GraphQL named fragments are not accepted; use inline fragments (... on Type)" if {
	named_fragment(normalized(pieces(body.query)))
} else := "the GraphQL document must be exactly one operation with balanced braces, nested at most 12 deep" if {
	not structure(normalized(pieces(body.query)))
} else := "the GraphQL operation must be a query or a mutation: {...}, query [Name][(variables)] {...} or mutation ..." if {
	not header_parts(structure(normalized(pieces(body.query)))[1])[1] in {"query", "mutation"}
} else := "operationName must be null or the name of the document's operation" if {
	not operation_name_matches(body, header_parts(structure(normalized(pieces(body.query)))[1])[2])
} else := "the root selection set of the GraphQL operation must be plain fields (no fragments at the root)"

# mutation_input(doc, field): the one root field of the mutation `doc` is `field`, called with
# a single argument `input: $var`; the value is the name of that variable.
mutation_input(doc, field) := var if {
	doc.operation == "mutation"
	m := regex.find_all_string_submatch_n(`^([_A-Za-z][_0-9A-Za-z]*) \( input : \$([_A-Za-z][_0-9A-Za-z]*) \)(?: %)?$`, doc.root, 1)[0]
	m[1] == field
	var := m[2]
}

body_shape(body) if {
	is_object(body)
	count(object.keys(body) - body_fields) == 0
	is_string(body.query)
	optional_object(object.get(body, "variables", null))
	optional_string(object.get(body, "operationName", null))
}

optional_object(x) if is_null(x)

optional_object(x) if is_object(x)

optional_string(x) if is_null(x)

optional_string(x) if is_string(x)

# pieces(query): the query split into pieces with one regular expression (compiled once).
pieces(query) := regex.find_all_string_submatch_n(piece_pattern, query, -1)

# lexable(query, ps): the pieces cover every character of the query (matches never overlap,
# so any character outside the grammar leaves the lengths short), and it has no block string.
lexable(query, ps) if {
	count(query) <= max_length
	not contains(query, `"""`)
	sum([count(m[0]) | some m in ps]) == count(query)
}

# normalized(ps): the tokens, ignored characters and comments dropped, strings as "~",
# numbers as "0", joined by one space.
normalized(ps) := concat(" ", [normal_token(m[0]) |
	some m in ps
	not substring(m[0], 0, 1) in ignored_starts
])

ignored_starts := {" ", "\t", "\n", "\r", ",", "#"}

normal_token(t) := "~" if {
	startswith(t, `"`)
} else := "0" if {
	substring(t, 0, 1) in number_starts
} else := t

# First characters of names and of numbers (a set lookup per token instead of a regex).
name_starts := {
	"_", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r",
	"s", "t", "u", "v", "w", "x", "y", "z", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K",
	"L", "M", "N", "O", "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z",
}

number_starts := {"-", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

# A spread not followed by "on" (a type condition) is a named fragment spread, or an inline
# fragment without type condition; neither is accepted.
named_fragment(text) if {
	some m in regex.find_all_string_submatch_n(`\.\.\. (\S+)`, text, -1)
	m[1] != "on"
}

# structure(text): [whole, header, root selection set] when the text is one header followed by
# exactly one brace group.
structure(text) := regex.find_all_string_submatch_n(`^([^{}]*)\{([^{}]*)\}$`, collapsed(text), 1)[0]

collapsed(text) := c12 if {
	c1 := collapse(text)
	c2 := collapse(c1)
	c3 := collapse(c2)
	c4 := collapse(c3)
	c5 := collapse(c4)
	c6 := collapse(c5)
	c7 := collapse(c6)
	c8 := collapse(c7)
	c9 := collapse(c8)
	c10 := collapse(c9)
	c11 := collapse(c10)
	c12 := collapse(c11)
}

# collapse(text): every innermost {...} group replaced by " % ", unless at most one is left.
collapse(text) := text if {
	count(split(text, "{")) <= 2
} else := strings.replace_n(
	{m[0]: " % " | some m in regex.find_all_string_submatch_n(`\{[^{}]*\}`, text, -1)},
	text,
)

# header_parts(header): [whole, operation type, name]; the type is "query" when the header is
# empty (the "{...}" shorthand).
header_parts(header) := ["", "query", ""] if {
	squeeze(header) == ""
} else := regex.find_all_string_submatch_n(header_pattern, squeeze(header), 1)[0]

operation_name_matches(body, _) if is_null(object.get(body, "operationName", null))

operation_name_matches(body, name) if {
	body.operationName == name
	name != ""
}

# squeeze(s): s with runs of spaces made one and no space at either end.
squeeze(s) := concat(" ", [w | some w in split(s, " "); w != ""])

field_name(m) := m[2] if m[2] != ""

else := m[1]
