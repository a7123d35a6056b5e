# Shape checks for parsed JSON request bodies (`input.request.body`).
#
# Write rules accept a body only when every field is one the upstream API documents for that
# call: an unknown field could switch on behaviour the rule's comment does not describe.
#
# Every helper here is linear in the size of the body: object.keys() and set differences over
# request data are quadratic in the WASM target (a body of 120k keys took a minute), so they
# are not used on input anywhere in policies/ (scripts/test-policy.sh checks it).
package lib.body

# only_string_field(body, field): body is a JSON object whose only key is `field`, and its
# value is a string. {"body": "LGTM"} passes for field "body"; {"body": "x", "path": "a"},
# {"body": 1} and "LGTM" do not.
only_string_field(body, field) if {
	is_object(body)
	is_string(body[field])
	count(body) == 1
}

# fields_within(body, allowed): body is a JSON object and every key is in the set `allowed`.
# {"state": "success"} passes for {"state", "context"}; {"state": "x", "secret": 1} does not.
fields_within(body, allowed) if {
	is_object(body)
	every key, _ in body {
		allowed[key]
	}
}

# strings(body, fields): each of `fields` is present in body and is a string.
strings(body, fields) if {
	every field in fields {
		is_string(body[field])
	}
}

# optional_strings(body, fields): each of `fields` that is present in body is a string.
optional_strings(body, fields) if {
	every field in fields {
		is_string(object.get(body, field, ""))
	}
}

# one_of(body, field, values): body[field] is present and is one of the set `values`.
one_of(body, field, values) if body[field] in values

# optional_numbers(body, fields): each of `fields` that is present in body is a number.
optional_numbers(body, fields) if {
	every field in fields {
		is_number(object.get(body, field, 0))
	}
}

# string_list(x): x is an array of strings.
string_list(x) if {
	is_array(x)
	every s in x {
		is_string(s)
	}
}
