// Structured CloudFormation template diff for `make review`, with @aws-cdk/cloudformation-diff
// (pinned in package-lock.json) instead of parsing the CLI's text output.
//
// stdin:  {"old": <template>, "new": <template>}
// stdout: {"changes": [{"logicalId", "resourceType", "impact", "replacingProperties", "changedProperties"}, ...],
//          "text": the library's own rendering of the diff, without colours}
// impact is the library's ResourceImpact: WILL_CREATE, WILL_DESTROY, WILL_ORPHAN, WILL_UPDATE,
// WILL_REPLACE, MAY_REPLACE or WILL_IMPORT. Run with the virtualenv's Node 24 (.venv/bin/node).
'use strict';

const { Writable } = require('node:stream');
const { formatDifferences, fullDiff } = require('@aws-cdk/cloudformation-diff');

function main(input) {
  const { old: before, new: after } = JSON.parse(input);
  const diff = fullDiff(before, after);
  const rows = [];
  diff.resources.forEachDifference((logicalId, change) => {
    if (!change.isDifferent) return;
    const replacing = [];
    const changed = [];
    for (const [name, property] of Object.entries(change.propertyUpdates)) {
      changed.push(name);
      if (property.changeImpact === 'WILL_REPLACE' || property.changeImpact === 'MAY_REPLACE') replacing.push(name);
    }
    for (const name of Object.keys(change.otherChanges)) changed.push(name);
    rows.push({
      logicalId,
      resourceType: change.resourceType || change.newResourceType || change.oldResourceType || 'unknown',
      impact: change.changeImpact,
      replacingProperties: replacing.sort(),
      changedProperties: changed.sort(),
    });
  });
  let text = '';
  const sink = new Writable({ write(chunk, _encoding, done) { text += chunk.toString(); done(); } });
  sink.columns = 120;
  formatDifferences(sink, diff);
  return { changes: rows, text };
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => { process.stdout.write(JSON.stringify(main(input))); });
