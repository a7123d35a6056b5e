# Shape checks for parsed JSON request bodies (`input.request.body`).
package lib.body

# only_string_field(body, field): body is a JSON object whose only key is `field`, and its
# value is a string. {"body": "LGTM"} passes for field "body"; {"body": "x", "path": "a"},
# {"body": 1} and "LGTM" do not.
only_string_field(body, field) if {
	is_object(body)
	object.keys(body) == {field}
	is_string(body[field])
}
