import { describe, expect, it } from 'vitest';
import { averageMass, elementCountsFromMolJson, formulaFromInchi, hillFormula } from './formula';

describe('hillFormula', () => {
  it('puts C and H first when there is carbon, else sorts alphabetically', () => {
    expect(hillFormula(new Map([['O', 4], ['H', 8], ['C', 9]]), 0)).toBe('C9H8O4');
    expect(hillFormula(new Map([['Na', 1], ['Cl', 1]]), 0)).toBe('ClNa');
    expect(hillFormula(new Map([['O', 1], ['H', 2]]), 0)).toBe('H2O');
    expect(hillFormula(new Map([['C', 1], ['Br', 1], ['H', 3]]), 0)).toBe('CH3Br');
  });

  it('appends the charge like RDKit', () => {
    expect(hillFormula(new Map([['C', 6], ['H', 5], ['O', 1]]), -1)).toBe('C6H5O-');
    expect(hillFormula(new Map([['C', 3], ['H', 2], ['O', 4]]), -2)).toBe('C3H2O4-2');
    expect(hillFormula(new Map([['Ca', 1]]), 2)).toBe('Ca+2');
  });
});

describe('formulaFromInchi', () => {
  it.each([
    ['InChI=1S/C9H8O4/c1-6(10)13-8-5-3-2-4-7(8)9(11)12/h2-5H,1H3,(H,11,12)', 'C9H8O4'],
    // phenoxide: the neutral formula minus one proton
    ['InChI=1S/C6H6O/c7-6-4-2-1-3-5-6/h1-5,7H/p-1', 'C6H5O-'],
    ['InChI=1S/C4H12N/c1-5(2,3)4/h1-4H3/q+1', 'C4H12N+'],
    // components, a multiplier and per-component charges
    ['InChI=1S/C9H8O4.ClH.Na/c1-6(10)13-8-5-3-2-4-7(8)9(11)12;;/h2-5H,1H3,(H,11,12);1H;/q;;+1/p-1', 'C9H8ClNaO4'],
    ['InChI=1S/C2H2O4.2Na/c3-1(4)2(5)6;;/h(H,3,4)(H,5,6);;/q;2*+1/p-2', 'C2Na2O4'],
    ['InChI=1S/2CH4/h2*1H4', 'C2H8'],
    ['InChI=1S/CH3.2ClH.H2N.Pt/h1H3;2*1H;1H2;/q;;;-1;+3/p-2', 'CH5Cl2NPt']
  ])('%s → %s', (inchi, formula) => {
    expect(formulaFromInchi(inchi)).toBe(formula);
  });

  it('refuses something that is not an InChI', () => {
    expect(() => formulaFromInchi('CCO')).toThrow(/not an InChI/);
  });
});

describe('elementCountsFromMolJson', () => {
  it('applies the JSON defaults and counts implicit hydrogens', () => {
    // RDKit's JSON for ethanol, trimmed
    const json = JSON.stringify({
      defaults: { atom: { z: 6, impHs: 0, chg: 0 } },
      molecules: [{ atoms: [{ impHs: 3 }, { impHs: 2 }, { z: 8, impHs: 1 }] }]
    });
    const { counts, charge } = elementCountsFromMolJson(json);
    expect(hillFormula(counts, charge)).toBe('C2H6O');
    expect(averageMass(counts)).toBeCloseTo(46.069, 2);
  });
});
