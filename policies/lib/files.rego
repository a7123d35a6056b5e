# Which file names are dependency manifests or lock files.
#
# Dependency scanners need these files and nothing else from a repository when code access is
# off. Matching is on the whole file name, exactly: "package.json" matches, "package.json.evil",
# "package.jsonx", "notpackage.json" and "Package.json" do not.
package lib.files

# The manifest and lock file names, and the extensions of project files, are data:
# lib/manifests/data.json (data.lib.manifests). Each name maps to its ecosystem, e.g.
# "package.json": "javascript"; each extension (".csproj") to its ecosystem too. Names are
# looked up by key: a set written here would be rebuilt on every evaluation in WASM.

# dependency_manifest(name): name is the exact file name of a manifest or lock file, or a
# project file (e.g. "App.csproj") whose extension follows a non-empty base name.
dependency_manifest(name) if {
	data.lib.manifests.names[name]
} else if {
	some extension, _ in data.lib.manifests.extensions
	endswith(name, extension)
	count(name) > count(extension)
}

# manifest_path(path): a repository file path given in one value ("a/b/package.json", as
# GitLab's %2F-encoded file_path or Azure DevOps' path parameter) whose file name is a
# dependency manifest, with no empty, "." or ".." component and no "%" (which the upstream
# could decode once more).
manifest_path(path) if {
	safe_path(path)
	parts := split(trim_prefix(path, "/"), "/")
	dependency_manifest(parts[count(parts) - 1])
}

# safe_path(path): a file path without empty, "." or ".." components and without "%"; one
# leading "/" is allowed.
safe_path(path) if {
	is_string(path)
	not contains(path, "%")
	parts := split(trim_prefix(path, "/"), "/")
	every part in parts {
		part != ""
		part != "."
		part != ".."
	}
}
