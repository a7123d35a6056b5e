# Text helpers for building reasons.
package lib.text

# show(x): x itself when it is a string, else its JSON form (null for a missing field read
# with object.get), so a reason can always be built, whatever the input holds.
show(x) := x if is_string(x)

else := json.marshal(x)
