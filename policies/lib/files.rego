# Which file names are dependency manifests or lock files.
#
# Dependency scanners need these files and nothing else from a repository when code access is
# off. Matching is on the whole file name, exactly: "package.json" matches, "package.json.evil",
# "package.jsonx", "notpackage.json" and "Package.json" do not.
package lib.files

# Exact file names of manifests and lock files, by ecosystem.
manifest_names := {
	# JavaScript / TypeScript
	"package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml",
	# Java / Kotlin / Scala
	"pom.xml", "build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts",
	"gradle.lockfile", "build.sbt",
	# Go
	"go.mod", "go.sum",
	# Python
	"requirements.txt", "Pipfile", "Pipfile.lock", "poetry.lock", "pyproject.toml",
	"setup.py", "setup.cfg", "uv.lock",
	# Ruby
	"Gemfile", "Gemfile.lock", "gems.rb", "gems.locked",
	# PHP
	"composer.json", "composer.lock",
	# Rust
	"Cargo.toml", "Cargo.lock",
	# .NET (project files are matched by extension below)
	"packages.config", "packages.lock.json", "Directory.Packages.props", "paket.dependencies",
	"paket.lock",
	# Swift / Objective-C
	"Podfile", "Podfile.lock", "Package.swift", "Package.resolved", "Cartfile", "Cartfile.resolved",
	# Elixir
	"mix.exs", "mix.lock",
	# Dart / Flutter
	"pubspec.yaml", "pubspec.lock",
	# C / C++
	"conanfile.txt", "conanfile.py", "conan.lock", "vcpkg.json",
}

# File name extensions of manifests whose base name is the project's own name.
manifest_extensions := {".csproj", ".fsproj", ".vbproj"}

# dependency_manifest(name): name is the file name of a manifest or lock file.
dependency_manifest(name) if name in manifest_names

dependency_manifest(name) if {
	some extension in manifest_extensions
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
		not part in {"", ".", ".."}
	}
}
