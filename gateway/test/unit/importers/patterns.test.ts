/**
 * The pattern compilers: each table row is a pattern, routes it must match, routes it must not,
 * and the index keys. The regexes are RE2 syntax that JavaScript reads the same way.
 */
import { globsToRegex } from '../../../src/importers/glob';
import { compileSnykPath } from '../../../src/importers/snyk-path';
import { compileUrlPattern } from '../../../src/importers/url-pattern';

describe('compileSnykPath (path-to-regexp 1.x)', () => {
  const table: [string, string[], string[], string, string][] = [
    ['/repos/:name/:repo/contents/:path*/package.json', ['/repos/a/b/contents/package.json', '/repos/a/b/contents/x/y/package.json'], ['/repos/a/b/contents/package.jsonx', '/repos/a/b/contents/Package.json', '/repos/a/contents/package.json'], 'repos', 'package.json'],
    ['/repos/:user/:repo/git/refs/:ref', ['/repos/a/b/git/refs/heads%2Fx'], ['/repos/a/b/git/refs/heads/x'], 'repos', ''],
    ['/test-blob/*', ['/test-blob/a', '/test-blob/a/b'], ['/test-blob'], 'test-blob', ''],
    ['/', ['/'], ['/a'], '', ''],
    ['/long/nested/partially/encoded%2fpath', ['/long/nested/partially/encoded%2Fpath'], ['/long/nested/partially/encoded/path'], 'long', 'encoded%2Fpath'],
    ['/:name/:repo/:path*%2F*Dockerfile*', ['/o/r/%2FDockerfile', '/o/r/a/b%2Fx.Dockerfile.prod'], ['/o/r/Dockerfile', '/o/r/a/Dockerfile'], '', ''],
    ['/files/:searchPath?', ['/files', '/files/a'], ['/files/a/b'], 'files', ''],
    ['/branches:filterText?', ['/branches', '/branchesfoo'], ['/branches/x'], '', ''],
    ['/threads/{comment_id}', ['/threads/%7Bcomment_id%7D'], ['/threads/1'], 'threads', '%7Bcomment_id%7D'],
    ['/ids/:id(\\d+)', ['/ids/12'], ['/ids/x'], 'ids', ''],
    ['/trailing/', ['/trailing'], ['/trailing/x'], 'trailing', 'trailing'],
  ];
  test.each(table)('%s', (path, yes, no, first, last) => {
    const c = compileSnykPath(path);
    const re = new RegExp(c.regex);
    for (const r of yes) expect([r, re.test(r)]).toEqual([r, true]);
    for (const r of no) expect([r, re.test(r)]).toEqual([r, false]);
    expect([c.first, c.last]).toEqual([first, last]);
  });

  test.each([
    ['/repos/:o/:r/contents/:path*/package.json', { head: ['repos', null, null, 'contents'], tail: ['package.json'], rest: 0 }],
    ['/test-blob/*', { head: ['test-blob'], tail: [], rest: 1 }],
    ['/a/:x+', { head: ['a'], tail: [], rest: 1 }],
    ['/', { head: [], tail: [], rest: null }],
    ['/:path*%2Fpackage.json', null],
    ['/a/:x*/:y*', null],
    ['/files/:p?', null],
  ])('skeleton of %s', (path, skeleton) => {
    expect(compileSnykPath(path).skeleton).toEqual(skeleton);
  });

  test('a backreference in a custom pattern is refused', () => {
    expect(() => compileSnykPath('/x/:id(a\\1)')).toThrow(/backreference/);
  });
});

describe('compileUrlPattern (URL Pattern)', () => {
  const table: [string, string, string[], string[], string, string][] = [
    ['https://foo.com/*', 'https://foo.com:443', ['/a', '/a/b', '/'], [''], '', ''],
    ['https://foo.com/variable-path/:v/suffix', 'https://foo.com:443', ['/variable-path/bla%2Fbla/suffix'], ['/variable-path/bla/bla/suffix'], 'variable-path', 'suffix'],
    ['https://gitlab.example.com/api/v3/*', 'https://gitlab.example.com:443', ['/api/v3/', '/api/v3/projects/1'], ['/api/v3', '/api/v30'], 'api', ''],
    ['https://gitlab.example.com/api/v4*', 'https://gitlab.example.com:443', ['/api/v4', '/api/v4/projects/1', '/api/v40'], ['/api/v3'], 'api', ''],
    ['https://gitlab.example.com/*/:repo/info/refs', 'https://gitlab.example.com:443', ['/group/sub/repo/info/refs'], ['/repo/info/refs'], '', 'refs'],
    ['https://gitlab.example.com/{:ns/}+:project.git/info/refs', 'https://gitlab.example.com:443', ['/g/repo.git/info/refs', '/g/s1/s2/repo.git/info/refs'], ['/repo.git/info/refs'], '', 'refs'],
    ['https://gh.example.com/api/v3/repositories/:id(\\d+)', 'https://gh.example.com:443', ['/api/v3/repositories/42'], ['/api/v3/repositories/x'], 'api', ''],
    ['http://Foo.COM:8080/x', 'http://foo.com:8080', ['/x'], ['/X'], 'x', 'x'],
    ['https://gitlab.example.com/api/v4/projects/:group%2F:project/files', 'https://gitlab.example.com:443', ['/api/v4/projects/g%2Fp/files'], ['/api/v4/projects/g/p/files'], 'api', 'files'],
  ];
  test.each(table)('%s', (url, origin, yes, no, first, last) => {
    const c = compileUrlPattern(url);
    const re = new RegExp(c.regex);
    expect(c.origin).toBe(origin);
    for (const r of yes) expect([r, re.test(r)]).toEqual([r, true]);
    for (const r of no) expect([r, re.test(r)]).toEqual([r, false]);
    expect([c.first, c.last]).toEqual([first, last]);
  });

  test.each([
    ['https://*.example.com/x', /literal hosts/],
    ['ftp://example.com/x', /not http/],
    ['/relative', /absolute/],
    ['https://example.com/x?y=*', /search or hash/],
    ['https://example.com/:x((?!a))', /lookaround/],
  ])('%s is refused', (url, reason) => {
    expect(() => compileUrlPattern(url)).toThrow(reason);
  });
});

describe('globsToRegex (minimatch, dot: true)', () => {
  const table: [string[], string[], string[]][] = [
    [['**/package.json', '**/yarn.lock'], ['package.json', '/path/to/package.json', 'a/yarn.lock'], ['secret.file', 'package.json.bak', '../package.json', 'a/../package.json']],
    [['**/*Dockerfile'], ['.Dockerfile', 'folder/.Dockerfile', '.hidden-folder/Dockerfile'], ['Dockerfile.prod']],
    [['true'], ['true'], ['false', 'true2']],
    [['src/*.js'], ['src/a.js'], ['src/a/b.js', 'a.js']],
    [['file?.[ch]'], ['file1.c', 'file2.h'], ['file1.o', 'file12.c']],
    [['a/**'], ['a/b', 'a/b/c'], ['b/a']],
  ];
  test.each(table)('%j', (globs, yes, no) => {
    const re = new RegExp(globsToRegex(globs));
    for (const v of yes) expect([v, re.test(v)]).toEqual([v, true]);
    for (const v of no) expect([v, re.test(v)]).toEqual([v, false]);
  });
});
