package io.github.stn4j;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The layers of stn4j and their one-way arrows (docs/layers.md):
 * <pre>
 *   cli, data (the command line)  -&gt;  nn  -&gt;  io.github.stn4j (the API)  -&gt;  internal (and its subpackages)
 *                                       nn  -&gt;  internal.dense (the dense and convolution kernels, issue #10)
 * </pre>
 * {@code internal} is a leaf: codes, segments and arrays in, results out. No two packages depend on each other, however
 * indirectly. Test classes are not checked (a test may reach into any layer it tests).
 */
@AnalyzeClasses(packages = "io.github.stn4j", importOptions = ImportOption.DoNotIncludeTests.class)
class LayersTest {
    static final String API = "io.github.stn4j";
    static final String INTERNAL = "io.github.stn4j.internal..";
    /** The one internal package nn may use: the dense and convolution kernels that issue #10 moves to native code. */
    static final String DENSE = "io.github.stn4j.internal.dense..";
    static final String NN = "io.github.stn4j.nn..";
    /** The command line and its data sets (they may live in a module of their own: the rules hold either way). */
    static final String[] CLI = {"io.github.stn4j.cli..", "io.github.stn4j.data.."};

    @ArchTest
    static final ArchRule internalIsALeaf = noClasses().that().resideInAPackage(INTERNAL)
            .should().dependOnClassesThat().resideInAnyPackage(API, NN, CLI[0], CLI[1])
            .because("internal takes codes, segments and arrays and returns results: it knows no API type");

    @ArchTest
    static final ArchRule apiUsesOnlyInternal = classes().that().resideInAPackage(API)
            .should().onlyDependOnClassesThat().resideInAnyPackage(API, INTERNAL, "java..")
            .because("the API sits on internal alone: it knows neither nn nor the command line");

    @ArchTest
    static final ArchRule nnUsesTheApiAndTheDenseKernels = classes().that().resideInAPackage(NN)
            .should().onlyDependOnClassesThat().resideInAnyPackage(NN, API, DENSE, "java..")
            .because("nn is a client of the API; of the internals it uses the dense kernels only");

    @ArchTest
    static final ArchRule cliUsesNnAndTheApi = noClasses().that().resideInAnyPackage(CLI)
            .should().dependOnClassesThat().resideInAPackage(INTERNAL)
            .because("the command line is a client of nn and the API")
            .allowEmptyShould(true);

    @ArchTest
    static final ArchRule noCycles = slices().matching("io.github.(**)").should().beFreeOfCycles()
            .because("every arrow between packages points one way");
}
