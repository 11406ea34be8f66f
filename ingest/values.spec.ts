import { describe, expect, it } from 'vitest';
import { guessDecimalComma, isUnitLike, looksLikeMolblock, looksLikeSmiles, looksNumeric, normalizeUnit, parsePropertyValue } from './values';

const num = (text: string, decimalComma = false) => parsePropertyValue(text, { decimalComma })?.num;

describe('parsePropertyValue', () => {
  it.each([
    ['42', 42],
    ['-3.5', -3.5],
    ['+7', 7],
    ['.5', 0.5],
    ['1.2e-3', 0.0012],
    ['1.2E+03', 1200],
    ['6.02e23', 6.02e23],
    ['1,234.5', 1234.5],
    ['1,234,567', 1234567],
    ['1,234', 1234],
    ['1,5', 1.5],
    ['12,25', 12.25],
    ['0,500', 0.5],
    ["1'234.5", 1234.5],
    ['1 234 567', 1234567],
    ['\u22125', -5], // Unicode minus (Word, Excel)
    ['  7.5\u00a0', 7.5], // no-break space
    ['1.2 x 10^-3', 0.0012],
    ['3×10^4', 30000],
    ['5.2 ± 0.3', 5.2],
    ['5.2 +/- 0.3', 5.2],
    ['-0', 0]
  ])('%j → %d', (text, expected) => {
    expect(num(text)).toBe(expected);
  });

  it('keeps the qualifier in the text and uses the bound as the number', () => {
    expect(parsePropertyValue('<10')).toEqual({ num: 10, text: '<10', qualifier: '<', unit: null });
    expect(parsePropertyValue('>100')).toEqual({ num: 100, text: '>100', qualifier: '>', unit: null });
    expect(parsePropertyValue('> 100')).toEqual({ num: 100, text: '> 100', qualifier: '>', unit: null });
    expect(parsePropertyValue('<=0.5')).toMatchObject({ num: 0.5, qualifier: '<=' });
    expect(parsePropertyValue('≥ 3')).toMatchObject({ num: 3, qualifier: '>=', text: '≥ 3' });
    expect(parsePropertyValue('~5')).toMatchObject({ num: 5, qualifier: '~' });
    expect(parsePropertyValue('ca. 5')).toMatchObject({ num: 5, qualifier: '~' });
    expect(parsePropertyValue('=5')).toMatchObject({ num: 5, qualifier: null });
    expect(parsePropertyValue('<-5')).toMatchObject({ num: -5, qualifier: '<' });
  });

  it('reads a unit written after the number', () => {
    expect(parsePropertyValue('10 nM')).toEqual({ num: 10, text: '10 nM', qualifier: null, unit: 'nM' });
    expect(parsePropertyValue('5%')).toMatchObject({ num: 5, unit: '%' });
    expect(parsePropertyValue('12.5 uM')).toMatchObject({ num: 12.5, unit: 'µM' });
    expect(parsePropertyValue('>30 µg/mL')).toMatchObject({ num: 30, qualifier: '>', unit: 'µg/mL' });
  });

  it.each(['', '   ', 'NaN', 'nan', 'N/A', 'NA', '#N/A', 'null', 'None', '-', '--', '?', '#DIV/0!', '#VALUE!'])(
    '%j means no value (skipped)',
    (text) => {
      expect(parsePropertyValue(text)).toBeNull();
    }
  );

  it('skips null and undefined', () => {
    expect(parsePropertyValue(null)).toBeNull();
    expect(parsePropertyValue(undefined)).toBeNull();
  });

  it.each(['inactive', 'n.d.', 'ND', 'not tested', '10-20', '12.03.2024', '2024-05-01', '1.2.3', '5 (n=3)', 'Infinity', '1e999', '0x1F', '1,23,4', 'abc 5'])(
    '%j is kept as text only',
    (text) => {
      expect(parsePropertyValue(text)).toEqual({ num: null, text, qualifier: null, unit: null });
    }
  );

  it('reads decimal commas when the file uses them (semicolon-delimited)', () => {
    expect(num('1,5', true)).toBe(1.5);
    expect(num('1,234', true)).toBe(1.234);
    expect(num('1.234,5', true)).toBe(1234.5);
    expect(num('1 234,5', true)).toBe(1234.5);
    expect(num('-0,25', true)).toBe(-0.25);
    expect(num('1,2e-3', true)).toBe(0.0012);
    expect(num('1.234.567', true)).toBe(1234567);
    // A lone decimal point stays a decimal point: scientists type 1.5 in every locale.
    expect(num('1.5', true)).toBe(1.5);
    expect(num('1,234,567', true)).toBe(1234567);
  });

  it('keeps very long text as text without trying to parse it', () => {
    const long = '1'.repeat(300);
    expect(parsePropertyValue(long)).toEqual({ num: null, text: long, qualifier: null, unit: null });
  });
});

describe('looksLikeSmiles', () => {
  it.each([
    'CC',
    'CCO',
    'CC(=O)Oc1ccccc1C(=O)O',
    'c1ccc2[nH]ccc2c1',
    'CN1C=NC2=C1C(=O)N(C(=O)N2C)C',
    'C[C@@H](N)C(=O)O',
    'F/C=C/F',
    '[Na+].[Cl-]',
    'C1CC2CCC1C2',
    'C%10CCCCC%10',
    'OC(=O)c1ccccc1Cl',
    'C1CC1 |r|'
  ])('%s looks like SMILES', (s) => {
    expect(looksLikeSmiles(s)).toBe(true);
  });

  // Single letters are valid SMILES (C, N, O) but too ambiguous to guess by: grade columns
  // (A, B, C) and Y/N flags would pass for structures.
  it.each([
    '',
    'C',
    'N',
    'Aspirin',
    'CPD-0001',
    'ABC123',
    'In',
    'No',
    'Co',
    'IC50',
    '12.5',
    '1CCC',
    'C1CC',
    'CC(C',
    'CC)C(',
    'hello world',
    'NaCl',
    'SMILES',
    'Name',
    'CAS',
    'IC50 (nM)',
    'logD_7.4',
    '2024-05-01'
  ])('%j does not', (s) => {
    expect(looksLikeSmiles(s)).toBe(false);
  });
});

describe('looksLikeMolblock', () => {
  it('finds V2000 and V3000 molblocks', () => {
    expect(looksLikeMolblock('\n  RDKit\n\n  1  0  0  0  0  0  0  0  0  0999 V2000\nM  END\n')).toBe(true);
    expect(looksLikeMolblock('x\n\n\n  0  0  0     0  0            999 V3000\nM  V30 BEGIN CTAB\n')).toBe(true);
    expect(looksLikeMolblock('CCO')).toBe(false);
  });
});

describe('units', () => {
  it.each(['nM', 'µM', 'uM', 'μM', 'mM', 'M', 'g/mol', 'mg/mL', 'µg/mL', 'mL/min/kg', 'uL/min/mg', '%', '°C', 'h', 'min', 'Da', 'kDa', '10^-6 cm/s', 'nm', 'mg/kg', 'RFU'])(
    '%s is a unit',
    (u) => {
      expect(isUnitLike(u)).toBe(true);
    }
  );

  it.each(['7.4', 'pH 7.4', 'mean', 'n=3', 'assay 2', 'IC50', '', 'Batch', 'comment'])('%j is not', (u) => {
    expect(isUnitLike(u)).toBe(false);
  });

  it('writes micro one way', () => {
    expect(normalizeUnit('uM')).toBe('µM');
    expect(normalizeUnit('\u03bcM')).toBe('µM');
    expect(normalizeUnit('ug/mL')).toBe('µg/mL');
    expect(normalizeUnit('uL/min/mg')).toBe('µL/min/mg');
    expect(normalizeUnit('nM')).toBe('nM');
    expect(normalizeUnit('mL/min/kg')).toBe('mL/min/kg');
  });
});

describe('guessDecimalComma / looksNumeric', () => {
  it('notices decimal commas and not thousands separators', () => {
    expect(guessDecimalComma(['12,5', '0,25', 'CCO', '3'])).toBe(true);
    expect(guessDecimalComma(['12.5', '0,25'])).toBe(false);
    expect(guessDecimalComma(['1,234', '12,345'])).toBe(false);
    expect(guessDecimalComma(['<0,5'])).toBe(true);
    expect(guessDecimalComma([])).toBe(false);
  });

  it('counts qualifiers and units as numeric', () => {
    expect(looksNumeric('<10')).toBe(true);
    expect(looksNumeric('10 nM')).toBe(true);
    expect(looksNumeric('inactive')).toBe(false);
    expect(looksNumeric('')).toBe(false);
  });
});
