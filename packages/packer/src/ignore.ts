/** Files `pack` never ships (and `checkPluginFolder` does not look at): VCS, editor, OS and test files. */
const NAMES = new Set([
  // VCS
  '.git', '.gitignore', '.gitattributes', '.gitmodules', '.gitkeep', '.hg', '.hgignore', '.hgtags', '.svn', '.bzr', '.bzrignore', 'CVS', '.cvsignore', '_darcs', '.fossil',
  // editors and tools
  '.idea', '.vscode', '.vs', '.project', '.settings', '.classpath', '.editorconfig', '.sublime-project', '.sublime-workspace', '__pycache__', '.pytest_cache', '.mypy_cache', '.ruff_cache', '.tox', '.nyc_output', '.phpunit.result.cache', '.php_cs.cache', '.php-cs-fixer.cache',
  // OS
  '.DS_Store', '.AppleDouble', '.Spotlight-V100', '.Trashes', 'Thumbs.db', 'ehthumbs.db', 'desktop.ini', '.directory',
  // tests
  'test', 'tests', '__tests__', 't', 'spec', 'specs', 'testdata', 'fixtures', '.github', '.gitlab-ci.yml', '.travis.yml',
]);
const PATTERNS: RegExp[] = [
  /~$/, /^\.#/, /^#.*#$/, /\.sw[a-p]$/, /^\._/, /\.(orig|rej|bak|tmp|pyc|pyo)$/, /^\.Trash-/, /^\.nfs/,
  /\.(test|spec)\.[A-Za-z0-9]+$/, /_test\.(py|php|pl|sh|bats)$/, /^test_.*\.py$/, /Test\.php$/, /\.t$/, /\.bats$/,
];

/** Whether a file or folder name (one path segment) is left out of the archive. */
export function isIgnoredName(name: string): boolean {
  return NAMES.has(name) || PATTERNS.some((r) => r.test(name));
}
