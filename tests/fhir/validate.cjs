// Validates each FHIR resource in the JSON array read from stdin with the npm `fhir`
// package (FHIR.js, its R4 structure definitions) and prints what it found, as JSON.
const { Fhir } = require('fhir');

const fhir = new Fhir();
let input = '';
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const found = JSON.parse(input).map((resource) => {
    const result = fhir.validate(resource, { errorOnUnexpected: true });
    return { resourceType: resource.resourceType,
             errors: result.messages.filter((m) => m.severity === 'error') };
  });
  process.stdout.write(JSON.stringify(found));
});
