#!/bin/bash
# The include graph of vault/ (README.md "Source layout"), checked by
# tools/house-rules.sh:
#   tools/include-graph.sh [DIR [ROOM...]]
# DIR defaults to vault, the rooms to the declared order, highest first:
#   api http auth audit core store hsmc
# A module is a .c file and the .h of the same name (store.c + store.h); an
# edge runs from a module to every module of DIR one of its files includes
# with a quoted #include (resolved next to the file, then under DIR, as the
# compiler does with -Ivault). Fails (exit 1, one line per finding) on
#  - a circle of modules (store -> seal -> store), and
#  - a back edge: a room including a room above it in the order, or a file
#    in a subfolder that is not a declared room.
# Files directly in DIR (vaultd_main.c) stand above every room.
set -u
dir=${1:-vault}
shift 2>/dev/null
rooms=${*:-api http auth audit core store hsmc}
[ -d "$dir" ] || { echo "include-graph: no directory $dir" >&2; exit 2; }
dir=$(realpath "$dir")

# One "from to" line per quoted include that names a file of DIR.
edges() {
	local f inc d t
	while IFS= read -r f; do
		d=$(dirname "$f")
		sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
		while IFS= read -r inc; do
			if [ -f "$d/$inc" ]; then t=$d/$inc
			elif [ -f "$dir/$inc" ]; then t=$dir/$inc
			else continue
			fi
			t=$(realpath -m "$t")
			echo "${f%.[ch]} ${t%.[ch]}"
		done
	done < <(find "$dir" -name '*.[ch]' | sort)
}

edges | sort -u | awk -v dir="$dir" -v rooms="$rooms" '
function name(m) { return base substr(m, length(dir) + 1) }
function room(m,   r) {
	r = substr(m, length(dir) + 2)
	return index(r, "/") ? substr(r, 1, index(r, "/") - 1) : ""
}
# Depth-first search; state 1 = on the current path, 2 = done.
function dfs(m,   i, t, k, c) {
	state[m] = 1; path[++depth] = m
	for (i = 1; i <= nout[m]; i++) {
		t = out[m, i]
		if (state[t] == 1) {
			c = ""
			for (k = depth; k >= 1; k--) { c = name(path[k]) " -> " c; if (path[k] == t) break }
			printf "include circle: %s%s\n", c, name(t)
			bad++
		} else if (!state[t])
			dfs(t)
	}
	depth--; state[m] = 2
}
BEGIN {
	n = split(rooms, r, " "); for (i = 1; i <= n; i++) rank[r[i]] = i
	base = dir; sub(/.*\//, "", base)
}
$1 == $2 { next }
{
	out[$1, ++nout[$1]] = $2; nodes[$1]; nodes[$2]
	a = room($1); b = room($2)
	if (a != "" && !(a in rank)) { undeclared[a] = name($1); next }
	if (b != "" && !(b in rank)) { undeclared[b] = name($2); next }
	if (a != b && (b == "" || (a != "" && rank[b] < rank[a]))) {
		printf "back edge: %s (%s) includes %s (%s); the order is %s\n", name($1), a, name($2), (b == "" ? "top" : b), rooms
		bad++
	}
}
END {
	for (a in undeclared) { printf "undeclared room %s (%s)\n", a, undeclared[a]; bad++ }
	for (m in nodes) if (!state[m]) dfs(m)
	exit bad > 0
}'
